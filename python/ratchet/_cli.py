"""The `ratchet` command of the Python package: the same CLI as the C++ build's (installed in the
package as ratchet/bin/ratchet). A command that names a run of a Python environment runs in this
process instead, after making the environment again from the run's python_env.json, so that
`ratchet eval RUN`, `export`, `resume`, `config`, `plot` and `table` work on it."""
import json
import os
import sys


def _python_env_runs(args):
    """(run directory, recipe) for each argument that is a run of a Python environment."""
    found = []
    for a in args:
        recipe = os.path.join(a, "python_env.json")
        if os.path.isdir(a) and os.path.isfile(recipe):
            with open(recipe) as f:
                found.append((a, json.load(f)))
    return found


def main(argv=None):
    args = sys.argv[1:] if argv is None else list(argv)
    runs = _python_env_runs(args)
    if not runs:
        exe = os.path.join(os.path.dirname(os.path.abspath(__file__)), "bin", "ratchet")
        if not os.access(exe, os.X_OK):
            print(f"ratchet: error: the command is missing from the package ({exe}); reinstall it with pip",
                  file=sys.stderr)
            return 2
        os.execv(exe, [exe] + args)
    command = next((a for a in args if not a.startswith("-")), "")
    if command in ("sweep", "tune"):
        print(f"ratchet: error: {command} starts one process per run, which cannot make the Python environment "
              f"{runs[0][1].get('id')!r}; train it from Python (ratchet.load(RUN).learn(N)), or register it in a "
              "plugin", file=sys.stderr)
        return 2
    import ratchet
    for run, recipe in runs:
        env_id = recipe.get("id")
        if env_id not in ratchet.list_envs():
            try:
                ratchet._rebuild(env_id, recipe, os.path.join(run, "python_env.json"))
            except ratchet.RatchetError as e:
                print(f"ratchet: error: {e}", file=sys.stderr)
                return 2
    return ratchet._ratchet.cli_main(["ratchet"] + args)


def console():
    sys.exit(main())


if __name__ == "__main__":
    console()
