"""Tell listening workers when what a share page shows may have changed.

A product's revision moves on every write a share page shows, and a link can
be revoked, re-scoped, re-dated or deleted. Each sends the product's id on
the `northstar_plan` channel when its transaction commits (roadmap.share_cache
listens). Counting a view changes neither, so it notifies no one.
"""

from django.db import migrations

FORWARD = """
CREATE FUNCTION northstar_notify_product_revision() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('northstar_plan', NEW.id::text);
    RETURN NULL;
END $$;

CREATE TRIGGER product_revision_notify
AFTER UPDATE OF revision ON strategy_product
FOR EACH ROW WHEN (OLD.revision IS DISTINCT FROM NEW.revision)
EXECUTE FUNCTION northstar_notify_product_revision();

CREATE FUNCTION northstar_notify_share_link() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('northstar_plan', OLD.product_id::text);
    RETURN NULL;
END $$;

CREATE TRIGGER share_link_notify
AFTER UPDATE OF revoked_at, expires_on, scope, token_hash, product_id OR DELETE
ON roadmap_sharelink
FOR EACH ROW EXECUTE FUNCTION northstar_notify_share_link();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS share_link_notify ON roadmap_sharelink;
DROP FUNCTION IF EXISTS northstar_notify_share_link();
DROP TRIGGER IF EXISTS product_revision_notify ON strategy_product;
DROP FUNCTION IF EXISTS northstar_notify_product_revision();
"""


class Migration(migrations.Migration):
    dependencies = [
        ("roadmap", "0008_change_log_lives_in_the_history"),
        ("strategy", "0003_history_entry"),
    ]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
