"""Tell listening workers when a kept board page may no longer be true.

A board page shows the plan (its revision already notifies, migration 0009),
and the person asking: their name, rights and unread notifications, while
their session lives. Each of these sends a notification on the
`northstar_plan` channel when its transaction commits (roadmap.board_memory
forgets what it names):
- a session saved again or ended: "session:" and the md5 of its key;
- a user changed or deleted, or one of their notifications: "user:" and id;
- a product changed in any way, or its editors or viewers: the product's id.
"""

from django.db import migrations

FORWARD = """
CREATE FUNCTION northstar_notify_session() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('northstar_plan', 'session:' || md5(OLD.session_key));
    RETURN NULL;
END $$;

CREATE TRIGGER session_notify
AFTER UPDATE OR DELETE ON django_session
FOR EACH ROW EXECUTE FUNCTION northstar_notify_session();

CREATE FUNCTION northstar_notify_user() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('northstar_plan', 'user:' || OLD.id::text);
    RETURN NULL;
END $$;

CREATE TRIGGER user_notify
AFTER UPDATE OR DELETE ON auth_user
FOR EACH ROW EXECUTE FUNCTION northstar_notify_user();

CREATE FUNCTION northstar_notify_recipient() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        PERFORM pg_notify('northstar_plan', 'user:' || OLD.recipient_id::text);
    ELSE
        PERFORM pg_notify('northstar_plan', 'user:' || NEW.recipient_id::text);
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER notification_notify
AFTER INSERT OR UPDATE OR DELETE ON roadmap_notification
FOR EACH ROW EXECUTE FUNCTION northstar_notify_recipient();

CREATE FUNCTION northstar_notify_product_people() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        PERFORM pg_notify('northstar_plan', OLD.product_id::text);
    ELSE
        PERFORM pg_notify('northstar_plan', NEW.product_id::text);
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER product_editors_notify
AFTER INSERT OR DELETE ON strategy_product_editors
FOR EACH ROW EXECUTE FUNCTION northstar_notify_product_people();

CREATE TRIGGER product_viewers_notify
AFTER INSERT OR DELETE ON strategy_product_viewers
FOR EACH ROW EXECUTE FUNCTION northstar_notify_product_people();

CREATE FUNCTION northstar_notify_product() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('northstar_plan', OLD.id::text);
    RETURN NULL;
END $$;

CREATE TRIGGER product_notify
AFTER UPDATE OR DELETE ON strategy_product
FOR EACH ROW EXECUTE FUNCTION northstar_notify_product();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS product_notify ON strategy_product;
DROP FUNCTION IF EXISTS northstar_notify_product();
DROP TRIGGER IF EXISTS product_viewers_notify ON strategy_product_viewers;
DROP TRIGGER IF EXISTS product_editors_notify ON strategy_product_editors;
DROP FUNCTION IF EXISTS northstar_notify_product_people();
DROP TRIGGER IF EXISTS notification_notify ON roadmap_notification;
DROP FUNCTION IF EXISTS northstar_notify_recipient();
DROP TRIGGER IF EXISTS user_notify ON auth_user;
DROP FUNCTION IF EXISTS northstar_notify_user();
DROP TRIGGER IF EXISTS session_notify ON django_session;
DROP FUNCTION IF EXISTS northstar_notify_session();
"""


class Migration(migrations.Migration):
    dependencies = [
        ("roadmap", "0013_teams_assumptions"),
        ("strategy", "0004_private_products"),
        ("sessions", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
