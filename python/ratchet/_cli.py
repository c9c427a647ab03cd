"""The `ratchet` command of the Python package: the same CLI as the C++ build's, installed in the
package (ratchet/bin/ratchet)."""
import os
import sys


def _run_of_python_env(args):
    """The first argument that is a run directory of a Python environment, with its id."""
    for a in args:
        recipe = os.path.join(a, "python_env.json")
        if os.path.isdir(a) and os.path.isfile(recipe):
            import json
            with open(recipe) as f:
                return a, json.load(f).get("id", "?")
    return None


def main():
    exe = os.path.join(os.path.dirname(os.path.abspath(__file__)), "bin", "ratchet")
    if not os.access(exe, os.X_OK):
        print(f"ratchet: error: the command is missing from the package ({exe}); reinstall it with pip",
              file=sys.stderr)
        sys.exit(2)
    found = _run_of_python_env(sys.argv[1:])
    if found:
        run, env_id = found
        print(f"ratchet: error: '{run}' is a run of the Python environment {env_id!r}, which the command cannot "
              f"make; use it from Python: ratchet.load({run!r}).evaluate() / .record(...) / .export(...) / "
              ".learn(N)", file=sys.stderr)
        sys.exit(2)
    os.execv(exe, [exe] + sys.argv[1:])


if __name__ == "__main__":
    main()
