"""Reads (and writes) mailbox settings on the mock with an unmodified exchangelib (Debian
python3-exchangelib): OOF settings, delegates and folder permissions. exchangelib 4.x has no
inbox rules API (added in 5.1), so rules are not read here.

Usage: exchangelib_settings.py URL USERNAME MAILBOX  (password in env MOCK_EWS_PASSWORD)
Prints one JSON object: {"checks": {name: value, ...}}; a failing check is {"error": "..."}.
"""
import datetime

from exchangelib.settings import OofSettings

from exchangelib_common import UTC, check, connect, report

account = connect()


@check("oof_read")
def _():
    oof = account.oof_settings
    return {
        "state": oof.state,
        "audience": oof.external_audience,
        "start": oof.start.isoformat() if oof.start else None,
        "end": oof.end.isoformat() if oof.end else None,
        "internal": oof.internal_reply,
    }


@check("oof_write")
def _():
    # exchangelib refuses a window that already ended: one starting in 30 days.
    soon = datetime.datetime.now(datetime.timezone.utc).replace(minute=0, second=0, microsecond=0)
    start = (soon + datetime.timedelta(days=30)).replace(tzinfo=UTC)
    end = (soon + datetime.timedelta(days=41)).replace(tzinfo=UTC)
    account.oof_settings = OofSettings(
        state=OofSettings.SCHEDULED,
        external_audience="Known",
        start=start,
        end=end,
        internal_reply="py inside",
        external_reply="py outside",
    )
    oof = account.oof_settings
    return {
        "state": oof.state,
        "audience": oof.external_audience,
        "internal": oof.internal_reply,
        "start": start.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "end": end.strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


@check("delegates")
def _():
    return [
        {
            "smtp": d.user_id.primary_smtp_address,
            "calendar": d.delegate_permissions.calendar_folder_permission_level,
            "inbox": d.delegate_permissions.inbox_folder_permission_level,
            "private": d.view_private_items,
            "copies": d.receive_copies_of_meeting_messages,
        }
        for d in account.delegates
    ]


@check("calendar_permissions")
def _():
    folder = account.calendar
    folder.refresh()
    permissions = folder.permission_set.calendar_permissions or []
    return [
        {
            "user": p.user_id.primary_smtp_address or p.user_id.distinguished_user,
            "level": p.calendar_permission_level,
        }
        for p in permissions
    ]


report()
