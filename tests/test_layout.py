"""The source layout the design card fixes: `platform/` is a folder, never a package."""

import importlib.util
import sys
import sysconfig
from pathlib import Path

import tadamon

ROOT = Path(__file__).resolve().parents[1]


def test_the_standard_library_platform_module_is_the_one_loaded():
    import platform

    stdlib = Path(sysconfig.get_paths()["stdlib"]).resolve()
    assert Path(platform.__file__).resolve().parent == stdlib
    assert callable(platform.python_version)


def test_platform_folder_is_not_a_package():
    assert (ROOT / "platform" / "tadamon" / "__init__.py").is_file()
    assert not (ROOT / "platform" / "__init__.py").exists()
    # The standard library's module wins, and it is no package: `platform.tadamon` cannot load.
    import pytest

    with pytest.raises(ModuleNotFoundError):
        importlib.util.find_spec("platform.tadamon")


def test_tadamon_is_imported_from_the_platform_folder():
    assert Path(tadamon.__file__).resolve().parent == ROOT / "platform" / "tadamon"


def test_suite_runs_through_python_dash_m_pytest(pytestconfig):
    # `python -m pytest` runs pytest's own `__main__.py` (the checkout lands on sys.path);
    # the `pytest` script in .venv/bin does not. An xdist worker is started by execnet, so it
    # asks how the controlling process was started (xdist hands workers its sys.argv).
    workerinput = getattr(pytestconfig, "workerinput", None)
    argv = workerinput["mainargv"] if workerinput is not None else sys.argv
    started = Path(argv[0])
    assert (started.parent.name, started.name) == ("pytest", "__main__.py"), (
        f"the suite was started as {argv[0]!r}: run it with `python -m pytest`"
    )
    if workerinput is None:
        main = sys.modules["__main__"]
        assert main.__spec__ is not None and main.__spec__.name == "pytest.__main__"
