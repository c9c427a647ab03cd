"""The `ratchet` command of the Python package: the same CLI as the C++ build's (installed in the
package as ratchet/bin/ratchet). A command that involves a Python environment runs in this
process instead, once the environment is registered:
- a run of a Python environment (a directory with python_env.json): `eval`, `export`, `resume`,
  `config`, `plot`, `table`, ... make it again from the recipe, as ratchet.load does;
- `--env module:callable` (a class or function that makes the environment) or a Gymnasium id that
  Ratchet does not build in: `train`, `sweep` and `tune` train on it, and every run they write
  records the recipe (python_env.json).
Sweep and tune start their runs as `python -m ratchet._cli ...`; the Python environments travel
to those processes in the RATCHET_PYTHON_ENVS variable (id -> recipe, JSON)."""
import json
import os
import sys

_ENVS_VARIABLE = "RATCHET_PYTHON_ENVS"


def _python_env_runs(args):
    """(run directory, recipe) for each argument that is a run of a Python environment."""
    found = []
    for a in args:
        recipe = os.path.join(a, "python_env.json")
        if os.path.isdir(a) and os.path.isfile(recipe):
            with open(recipe) as f:
                found.append((a, json.load(f)))
    return found


def _env_arguments(args):
    """(index, value) of every --env value (--env X or --env=X)."""
    for i, a in enumerate(args):
        if a == "--env" and i + 1 < len(args):
            yield i + 1, args[i + 1]
        elif a.startswith("--env="):
            yield i, a[len("--env="):]


def _error(message):
    print(f"ratchet: error: {message}", file=sys.stderr)
    return 2


def _register_env(ratchet, name, inherited):
    """The id under which `name` (an id, a Gymnasium id or module:callable) is registered now."""
    if name in inherited or name in ratchet.list_envs():
        return name
    if ":" in name:
        import importlib
        module, _, qualname = name.partition(":")
        try:
            obj = importlib.import_module(module)
            for part in qualname.split("."):
                obj = getattr(obj, part)
        except Exception as e:  # noqa: BLE001 - any import failure is the user's to see
            raise ratchet.RatchetError(f"--env {name}: cannot import it ({type(e).__name__}: {e})") from None
        return ratchet._env_id(obj)
    return ratchet._env_id(name)  # a Gymnasium id is registered; anything else stays unknown


def main(argv=None):
    args = sys.argv[1:] if argv is None else list(argv)
    runs = _python_env_runs(args)
    inherited = json.loads(os.environ.get(_ENVS_VARIABLE) or "{}")
    envs = list(_env_arguments(args))
    if not runs and not inherited and not any(":" in v for _, v in envs):
        if envs:
            import ratchet  # is any --env a Gymnasium id that only Python can make?
            known = set(ratchet.list_envs())
            python_side = any(n not in known and ratchet._gym is not None and n in ratchet._gym.registry
                              for _, v in envs for n in v.split(","))
        if not envs or not python_side:
            exe = os.path.join(os.path.dirname(os.path.abspath(__file__)), "bin", "ratchet")
            if not os.access(exe, os.X_OK):
                return _error(f"the command is missing from the package ({exe}); reinstall it with pip")
            os.execv(exe, [exe] + args)
    return run_in_process(args, inherited, runs, envs)


def run_in_process(args, inherited=None, runs=None, envs=None):
    """The command in this process, never exec'd: Python environments (module:callable, Gymnasium
    ids, runs' recipes) are registered first and travel to the processes sweep and tune start.
    Returns the exit code; what ratchet.sweep and ratchet.tune call."""
    import ratchet
    args = list(args)
    inherited = json.loads(os.environ.get(_ENVS_VARIABLE) or "{}") if inherited is None else inherited
    runs = _python_env_runs(args) if runs is None else runs
    envs = list(_env_arguments(args)) if envs is None else envs
    used = set(inherited)  # the environments this command trains or reads
    try:
        for env_id, recipe in inherited.items():
            if env_id not in ratchet.list_envs():
                ratchet._rebuild(env_id, recipe, _ENVS_VARIABLE)
        for run, recipe in runs:
            env_id = recipe.get("id")
            used.add(env_id)
            if env_id not in ratchet.list_envs():
                ratchet._rebuild(env_id, recipe, os.path.join(run, "python_env.json"))
        for i, value in envs:
            ids = [_register_env(ratchet, n, inherited) for n in value.split(",")]
            used.update(ids)
            args[i] = ",".join(ids) if args[i] == value else "--env=" + ",".join(ids)
    except ratchet.RatchetError as e:
        return _error(e)
    # only those travel: another Python environment this process registered (one its runs never
    # make, and perhaps not importable elsewhere) is none of the child runs' business
    python_envs = {i: r for i, r in ratchet._recipes.items() if r is not None and i in used}
    # for the runs sweep and tune start: the environments, and this very package whatever the cwd
    os.environ[_ENVS_VARIABLE] = json.dumps(python_envs)
    home = os.path.dirname(os.path.dirname(os.path.abspath(ratchet.__file__)))
    os.environ["PYTHONPATH"] = os.pathsep.join([home] + [p for p in [os.environ.get("PYTHONPATH")] if p])

    def on_new_run(run_dir, env_id):
        ratchet._write_env_recipe(env_id, run_dir)

    return ratchet._ratchet.cli_main(["ratchet"] + args, [sys.executable, "-m", "ratchet._cli"], on_new_run)


def console():
    sys.exit(main())


if __name__ == "__main__":
    console()
