"""The project around a migration, for the cross-app rules: owners, dependencies, referrers."""


class AppsView:
    """Placeholder until the ownership map lands."""
