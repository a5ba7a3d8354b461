"""One registry of upstream's classes and ours (simplejwt_rs.registry): the swap, the views, the checks and the
harness all read it, so no two lists of the same pairs can disagree."""

import importlib
import subprocess
import sys

import pytest
from rest_framework_simplejwt import views as up_views
from simplejwt_rs import checks, registry, settings, views

from harness import jwt_settings

PAIRS = [pytest.param(pair, id=pair.upstream.rpartition(".")[2]) for pair in registry.PAIRS]


@pytest.mark.parametrize("pair", PAIRS)
def test_each_pair_names_ours_of_the_same_name(pair):
    upstream, ours = registry.resolve(pair.upstream), registry.resolve(pair.ours)
    assert pair.ours == pair.upstream.replace("rest_framework_simplejwt.", "simplejwt_rs.", 1)
    assert ours is not upstream
    if isinstance(upstream, type):
        assert issubclass(ours, upstream) or pair.upstream.endswith(".BlacklistMixin")
    for name in pair.routed:
        assert hasattr(ours, name)


@pytest.mark.parametrize("pair", PAIRS)
def test_the_settings_swap_reads_the_registry(pair):
    assert settings.counterpart(pair.upstream) == pair.ours
    assert settings.counterpart(registry.resolve(pair.upstream)) is registry.resolve(pair.ours)
    assert settings.counterpart(pair.ours) == pair.ours  # ours unchanged


def test_the_registry_has_every_class_of_upstreams_modules_that_has_ours():
    """Nothing ours of the same name is missing: a name of upstream's mirrored modules that ours defines anew."""
    listed = {pair.upstream for pair in registry.PAIRS}
    for module in registry.MIRRORED:
        theirs = importlib.import_module(f"rest_framework_simplejwt.{module}")
        ours = importlib.import_module(f"simplejwt_rs.{module}")
        for name, obj in vars(theirs).items():
            if name.startswith("_") or getattr(ours, name, obj) is obj:
                continue  # not ours, or the very same object (re-imported)
            path = f"{theirs.__name__}.{name}"
            # Listed; or a name re-exported from another of upstream's modules, swapped as the class it names.
            assert path in listed or registry.dotted(obj).rpartition(".")[0] != theirs.__name__, path
            assert registry.resolve(settings.counterpart(path)) is getattr(ours, name), path


def test_the_views_read_the_registry():
    upstream_views = {
        obj for obj in vars(up_views).values() if isinstance(obj, type) and issubclass(obj, up_views.TokenViewBase)
    }
    assert {registry.resolve(view.upstream) for view in registry.VIEWS} == upstream_views - {up_views.TokenViewBase}
    for view in registry.VIEWS:
        ours = registry.resolve(view.ours)
        assert issubclass(ours, (views.TokenViewBase, registry.resolve(view.upstream)))
        assert views.SERIALIZER_SETTING[registry.resolve(view.upstream)] == view.setting
        assert ours()._serializer_class == view.serializer  # the test settings name ours
        assert issubclass(registry.resolve(view.serializer), registry.resolve(view.base))
    assert checks.SERIALIZER_SETTINGS == {view.setting: registry.resolve(view.base) for view in registry.VIEWS}
    assert set(checks.MINTING_VIEWS) == {registry.resolve(view.upstream) for view in registry.VIEWS if view.mints}


def test_a_view_built_on_none_of_upstreams_keeps_upstreams_empty_serializer_setting():
    class Custom(views.TokenViewBase):
        pass

    assert Custom()._serializer_class == ""


def test_the_harness_reads_the_registry():
    assert jwt_settings.AUTHENTICATION == "simplejwt_rs.authentication.JWTAuthentication"
    assert {view.setting: view.serializer for view in registry.VIEWS}.items() <= jwt_settings.SIMPLE_JWT.items()


def test_the_registry_is_at_the_bottom_of_the_import_order():
    """It imports nothing of ours and nothing of Django: the harness reads it while settings load."""
    code = (
        "import sys, simplejwt_rs.registry\n"
        "print(sorted(m for m in sys.modules if m.startswith(('django', 'rest_framework', 'simplejwt_rs'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert eval(out) == ["simplejwt_rs", "simplejwt_rs._core", "simplejwt_rs.exceptions", "simplejwt_rs.registry"]
