"""Open data: the public datasets (organisations, each published plan version, each consultation
whose results are published) as documented, deterministic ZIP files at /open-data."""

from __future__ import annotations

from tadamon.core.modules import Module


def module() -> Module:
    from tadamon.opendata import permissions
    from tadamon.opendata.views import bp

    return Module(name="opendata", blueprint=bp, permissions=permissions)
