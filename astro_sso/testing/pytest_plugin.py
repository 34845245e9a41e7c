"""pytest plugin of astro-sso: fixtures for plugin authors.

Loaded automatically (``pytest11`` entry point) wherever astro-sso is
installed. It stays light: nothing heavy is imported until a fixture is used.
"""

import pytest


@pytest.fixture
def astro_sso_plugin_manager():
    """A plugin manager with entry-point discovery blocked, installed as the global one.

    Only the core's built-in plugin is registered; register yours with
    ``pm.register(module_or_object, name="my-plugin")``. While the test runs,
    ``astro_sso.get_detector`` and friends use this manager; the previous
    manager is restored afterwards.

    Examples
    --------
    .. code-block:: python

        def test_my_plugin(astro_sso_plugin_manager):
            import astro_sso, my_plugin
            astro_sso_plugin_manager.register(my_plugin, name="my-plugin")
            assert "my-detector" in astro_sso.list_plugins()["name"]
    """
    from astro_sso.plugins import make_plugin_manager, set_plugin_manager

    pm = make_plugin_manager(load_entrypoints=False)
    old = set_plugin_manager(pm)
    try:
        yield pm
    finally:
        set_plugin_manager(old)
