"""/readyz's migration heads (app.observability.service.migration_revisions) on scripts Alembic reads
but a static read of literal assignments does not: they must agree with Alembic, not crash or skip."""
import pytest

from tests.ops.test_health import _alembic_revisions


@pytest.mark.parametrize("second", ["PREV = 'a1'\nrevision = 'b2'\ndown_revision = PREV\n",
                                    "revision, down_revision = 'b2', 'a1'\n"])
def test_heads_agree_with_alembic_on_scripts_that_are_not_plain_literals(tmp_path, second):
    from app.observability import service

    versions = tmp_path / "versions"
    versions.mkdir()
    (tmp_path / "script.py.mako").write_text("")
    (versions / "__init__.py").write_text("")
    (versions / "a1_x.py").write_text('"""x"""\nrevision = "a1"\ndown_revision = None\n')
    (versions / "b2_x.py").write_text(f'"""x"""\n{second}branch_labels = None\ndepends_on = None\n')
    assert service.migration_revisions(str(tmp_path)) == _alembic_revisions(tmp_path) == ({"b2"}, {"a1", "b2"})
