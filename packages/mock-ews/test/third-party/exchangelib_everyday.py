"""Everyday exchangelib use against the mock (Debian python3-exchangelib, unmodified): queryset
idioms (order_by + slicing across pages, only, values_list, count, exists, get's errors,
exclude, ranges), bulk operations, folder management and navigation, sending, change keys,
fetching missing ids and the sync iterators. exchangelib_client.py covers the item types'
fields; this script covers what a user does with them every day.

Usage: exchangelib_everyday.py URL USERNAME MAILBOX COLLEAGUE  (password in env MOCK_EWS_PASSWORD)
Prints one JSON object: {"checks": {name: value, ...}} for the vitest test to assert on.
"""
import datetime
import sys
from decimal import Decimal

from exchangelib import CalendarItem, Contact, EWSDateTime, ExtendedProperty, Folder, Message, Task
from exchangelib.errors import (
    ErrorCalendarIsOrganizerForAccept,
    DoesNotExist,
    ErrorIrresolvableConflict,
    ErrorItemNotFound,
    MultipleObjectsReturned,
)

from exchangelib_common import UTC, check, connect, report

account = connect()
me = account.primary_smtp_address
colleague = sys.argv[4]  # another mailbox of the mock: the test looks into its Inbox


def make(folder, prefix, n, **fields):
    """n messages `prefix NN` in folder, created in one CreateItem; returns their (id, changekey)s."""
    items = [Message(account=account, folder=folder, subject="%s %02d" % (prefix, i), **fields) for i in range(n)]
    return [r for r in account.bulk_create(folder=folder, items=items)]


@check("queryset")
def _queryset():
    # 23 items. A slice asks FindItem for its own window (IndexedPageItemView Offset and
    # MaxEntriesReturned); with a page size of 4 the slice [2:10] takes two pages and
    # list(paged) six pages (Offset 0, 4, ..., 20), following IndexedPagingOffset.
    folder = account.inbox
    make(folder, "qs", 23)
    qs = folder.filter(subject__startswith="qs ")
    newest = [i.subject for i in qs.order_by("-subject")[:5]]
    middle = [i.subject for i in qs.order_by("subject")[8:13]]
    tail = [i.subject for i in qs.order_by("subject")[19:40]]
    paged = qs.order_by("subject")
    paged.page_size = 4
    across = [i.subject for i in paged[2:10]]
    walked = [i.subject for i in paged]
    flat = list(qs.order_by("subject").values_list("subject", flat=True)[:3])
    pairs = [list(v) for v in qs.order_by("subject").values_list("subject", "is_read")[:2]]
    dicts = list(qs.order_by("subject").values("subject")[:1])
    only = qs.order_by("subject").only("subject")[0]
    try:
        folder.get(subject="qs none")
        missing = "no error"
    except DoesNotExist:
        missing = "DoesNotExist"
    try:
        qs.get(subject__startswith="qs 1")
        several = "no error"
    except MultipleObjectsReturned:
        several = "MultipleObjectsReturned"
    return {
        "count": qs.count(),
        "exists": qs.exists(),
        "none_exists": folder.filter(subject="qs none").exists(),
        "newest": newest,
        "middle": middle,
        "tail": tail,
        "across": across,
        "walked": walked,
        "flat": flat,
        "pairs": pairs,
        "dicts": dicts,
        "only": [only.subject, only.body],
        "one": folder.get(subject="qs 07").subject,
        "missing": missing,
        "several": several,
        "exclude": qs.exclude(subject__startswith="qs 1").count(),
        "in": sorted(qs.filter(subject__in=["qs 01", "qs 02", "qs 99"]).values_list("subject", flat=True)),
    }


@check("ranges")
def _ranges():
    folder = account.inbox
    make(folder, "rng", 3)
    qs = folder.filter(subject__startswith="rng ")
    stamps = sorted(i.datetime_received for i in qs)
    lo = stamps[0] - datetime.timedelta(days=1)
    hi = stamps[-1] + datetime.timedelta(days=1)
    return {
        "in_range": qs.filter(datetime_received__range=(lo, hi)).count(),
        "before_range": qs.filter(datetime_received__range=(lo - datetime.timedelta(days=9), lo)).count(),
        "gte": qs.filter(datetime_received__gte=stamps[0]).count(),
        "lt": qs.filter(datetime_received__lt=stamps[0]).count(),
        "not_equal": qs.filter(subject__not="rng 00").count(),
        "contains": folder.filter(subject__contains="rng 0").count(),
    }


@check("bulk")
def _bulk():
    ids = make(account.drafts, "bulk", 6)
    items = list(account.fetch(ids=ids))
    for item in items:
        item.is_read = True
    updated = account.bulk_update(items=[(i, ["is_read"]) for i in items[:3]])
    moved = account.bulk_move(ids=[(i.id, i.changekey) for i in items[3:5]], to_folder=account.inbox)
    copied = account.bulk_copy(ids=[(items[5].id, items[5].changekey)], to_folder=account.inbox)
    drafts = account.drafts.filter(subject__startswith="bulk ")
    inbox = account.inbox.filter(subject__startswith="bulk ")
    out = {
        "created": len(ids),
        "updated": len(updated),
        "read": drafts.filter(is_read=True).count(),
        "moved": len([m for m in moved if not isinstance(m, Exception)]),
        "copied": len([c for c in copied if not isinstance(c, Exception)]),
        "drafts_left": sorted(drafts.values_list("subject", flat=True)),
        "inbox": sorted(inbox.values_list("subject", flat=True)),
    }
    deleted = account.bulk_delete(ids=list(drafts.values_list("id", "changekey")))
    out["deleted"] = [d is True for d in deleted]
    out["drafts_after"] = drafts.count()
    inbox.delete()  # QuerySet.delete: one DeleteItem for everything it matches
    out["inbox_after"] = inbox.count()
    return out


@check("item_moves")
def _item_moves():
    ids = make(account.drafts, "mv", 3)
    a, b, c = account.fetch(ids=ids)
    copy = a.copy(to_folder=account.inbox)
    b.move_to_trash()
    c.soft_delete()
    return {
        "copy_is_id": isinstance(copy, tuple) and len(copy) == 2 and bool(copy[0]),
        "drafts": sorted(account.drafts.filter(subject__startswith="mv ").values_list("subject", flat=True)),
        "inbox": sorted(account.inbox.filter(subject__startswith="mv ").values_list("subject", flat=True)),
        "trash": sorted(account.trash.filter(subject__startswith="mv ").values_list("subject", flat=True)),
        "recoverable": sorted(
            account.recoverable_items_deletions.filter(subject__startswith="mv ").values_list("subject", flat=True)
        ),
        "moved_folder": b.folder.name if b.folder else None,
    }


@check("folders")
def _folders():
    parent = account.inbox
    f = Folder(parent=parent, name="Everyday Projects")
    f.save()
    sub = Folder(parent=f, name="Sub One")
    sub.save()
    children = sorted(c.name for c in f.children)
    by_path = (account.inbox / "Everyday Projects" / "Sub One").name
    via_root = (account.root / "Top of Information Store" / "Inbox" / "Everyday Projects").name
    glob = sorted(x.name for x in account.inbox.glob("Everyday*"))
    make(f, "fld", 4)
    f.refresh()
    counts = [f.total_count, f.unread_count]
    next(iter(f.filter(subject="fld 00"))).soft_delete()
    account.bulk_update(items=[(setattr(i, "is_read", True) or i, ["is_read"]) for i in f.filter(subject="fld 01")])
    f.refresh()
    counts_after = [f.total_count, f.unread_count]
    f.name = "Everyday Renamed"
    # Only the changed field: a full save sends the folder's PermissionSet as exchangelib 4.9
    # renders it (nested PermissionSet, CalendarPermissionLevel), which Exchange refuses as a
    # schema violation too (exchangelib issues 832 and 1145).
    f.save(update_fields=["name"])
    account.root.refresh()
    renamed = (account.inbox / "Everyday Renamed").name
    f.empty()
    emptied = [f.all().count(), len(list(f.children))]
    make(f, "fld2", 2)
    Folder(parent=f, name="Sub Two").save()
    f.wipe()
    wiped = [f.all().count(), len(list(f.children))]
    f.delete()
    account.root.refresh()
    gone = [x.name for x in account.inbox.children if x.name.startswith("Everyday")]
    return {
        "children": children,
        "by_path": by_path,
        "via_root": via_root,
        "glob": glob,
        "counts": counts,
        "counts_after": counts_after,
        "renamed": renamed,
        "emptied": emptied,
        "wiped": wiped,
        "gone": gone,
    }


@check("send")
def _send():
    Message(account=account, subject="sent only", body="hi", to_recipients=[me], bcc_recipients=[colleague]).send()
    Message(account=account, folder=account.sent, subject="sent and saved", body="hi", to_recipients=[me]).send_and_save()
    inbox = sorted(account.inbox.filter(subject__startswith="sent ").values_list("subject", flat=True))
    sent = sorted(account.sent.filter(subject__startswith="sent ").values_list("subject", flat=True))
    received = account.inbox.get(subject="sent and saved")
    return {
        "inbox": inbox,
        "sent": sent,
        "unread": received.is_read,
        "from": received.sender.email_address if received.sender else None,
        "to": [r.email_address for r in received.to_recipients or []],
    }


class MessageFlags(ExtendedProperty):
    property_tag = 0x0E07
    property_type = "Integer"


Message.register("message_flags", MessageFlags)


@check("draft_send")
def _draft_send():
    # A saved draft sent later: SendItem, with a copy saved to Sent Items.
    m = Message(account=account, folder=account.drafts, subject="draft then send", body="b", to_recipients=[me])
    m.save()
    is_draft = account.drafts.get(subject="draft then send").is_draft
    m.send()
    # send_and_save() of a saved item: UpdateItem with MessageDisposition SendAndSaveCopy.
    n = Message(account=account, folder=account.drafts, subject="update then send", to_recipients=[me])
    n.save()
    n.subject = "updated then sent"
    n.send_and_save(update_fields=["subject"])
    sent = account.sent.get(subject="draft then send")
    # The usual way to store a message that is not a draft: PidTagMessageFlags = mfRead at creation.
    imported = Message(account=account, folder=account.inbox, subject="imported", is_read=True, message_flags=1)
    imported.save()
    imported = account.inbox.get(subject="imported")
    Message(account=account, folder=account.drafts, subject="kept draft").save()
    return {
        "is_draft": [is_draft, sent.is_draft, imported.is_draft],
        "flags": [imported.message_flags, imported.is_read],
        "by_flag": [
            account.drafts.filter(is_draft=True, subject="kept draft").count(),
            account.inbox.filter(is_draft=False, subject="imported").count(),
        ],
        "drafts": account.drafts.filter(subject="draft then send").count(),
        "sent": account.sent.filter(subject="draft then send").count(),
        "inbox": account.inbox.filter(subject="draft then send").count(),
        "sent_read": sent.is_read,
        "sent_from": sent.author.email_address if sent.author else None,
        "has_sent_time": sent.datetime_sent is not None,
        "has_message_id": bool(sent.message_id),
        "updated_sent": [
            account.drafts.filter(subject__in=["update then send", "updated then sent"]).count(),
            account.sent.filter(subject="updated then sent").count(),
            account.inbox.filter(subject="updated then sent").count(),
        ],
    }


@check("reply")
def _reply():
    Message(account=account, subject="please answer", body="question", to_recipients=[me]).send()
    original = account.inbox.get(subject="please answer")
    original.reply(subject="Re: please answer", body="answer")
    original.forward(subject="Fw: please answer", body="fyi", to_recipients=[me])
    draft = original.create_reply(subject="Re: draft answer", body="later").save(account.drafts)
    reply = account.inbox.get(subject="Re: please answer")
    forward = account.inbox.get(subject="Fw: please answer")
    # Without a conversation index, Exchange groups by topic: the reply joins the original's
    # conversation, an unrelated message does not.
    ids = {
        i.subject: i.conversation_id.id if i.conversation_id else None
        for i in account.inbox.filter(subject__contains="please answer").only("subject", "conversation_id")
    }
    stranger = account.inbox.filter(subject__startswith="qs ").only("conversation_id")[0].conversation_id
    return {
        "conversation": [
            ids["please answer"] is not None,
            ids["Re: please answer"] == ids["please answer"],
            stranger is not None and stranger.id != ids["please answer"],
        ],
        "reply_to": [r.email_address for r in reply.to_recipients or []],
        "reply_body": [str(reply.body).startswith("answer"), "question" in str(reply.body)],
        "forward_body": [str(forward.body).startswith("fyi"), "question" in str(forward.body)],
        "reply_in_inbox": account.inbox.filter(subject="Re: please answer").count(),
        "reply_sent": account.sent.filter(subject="Re: please answer").count(),
        "forward_in_inbox": account.inbox.filter(subject="Fw: please answer").count(),
        "draft": account.drafts.filter(subject="Re: draft answer").count(),
        "draft_id": draft is not None,
    }


@check("more_mail")
def _more_mail():
    Message(
        account=account, subject="ra q", body="q", to_recipients=[me, "x@example.test"], cc_recipients=[colleague]
    ).send()
    original = account.inbox.get(subject="ra q")
    original.reply_all(subject="Re: ra q", body="all")  # exchangelib names To: the original To + author
    reply_all = account.sent.get(subject="Re: ra q")
    drafts = [Message(account=account, folder=account.drafts, subject="bs %d" % i, to_recipients=[me]) for i in range(2)]
    for d in drafts:
        d.save()
    sent = account.bulk_send(ids=drafts)  # SendItem of several drafts at once
    Message(account=account, folder=account.inbox, subject="spam?", author="spammer@example.test").save()
    spam = account.inbox.get(subject="spam?")
    spam.mark_as_junk(is_junk=True, move_item=True)
    in_junk = account.junk.filter(subject="spam?").count()
    account.junk.get(subject="spam?").mark_as_junk(is_junk=False, move_item=True)
    fetched = next(iter(account.fetch(ids=[account.inbox.get(subject="spam?")], only_fields=["subject"])))
    return {
        "reply_all": [sorted(m.email_address for m in reply_all.to_recipients or []),
                      [m.email_address for m in reply_all.cc_recipients or []]],
        "bulk_send": [sent, account.sent.filter(subject__startswith="bs ").count(),
                      account.drafts.filter(subject__startswith="bs ").count()],
        "junk": [in_junk, account.junk.filter(subject="spam?").count(), account.inbox.filter(subject="spam?").count()],
        "fetch_only": [fetched.subject, fetched.body],
    }


@check("updates")
def _updates():
    task = Task(account=account, folder=account.tasks, subject="everyday task")
    task.save()
    task.status = "Completed"
    task.percent_complete = Decimal(100)
    task.save(update_fields=["status", "percent_complete"])
    contact = Contact(
        account=account, folder=account.contacts, display_name="Grace Hopper", given_name="Grace", surname="Hopper"
    )
    contact.save()
    contact.job_title = "Rear Admiral"
    contact.company_name = "Navy"
    contact.save(update_fields=["job_title", "company_name"])
    start = EWSDateTime(2032, 5, 4, 10, 0, tzinfo=UTC)
    event = CalendarItem(
        account=account, folder=account.calendar, subject="everyday meeting", start=start,
        end=start + datetime.timedelta(hours=1),
    )
    event.save()
    event.location = "Room 1"
    event.subject = "everyday meeting (room)"
    event.save(update_fields=["location", "subject"])
    view = list(account.calendar.view(start=start - datetime.timedelta(days=1), end=start + datetime.timedelta(days=1)))
    t = account.tasks.get(id=task.id)
    # Task.complete(): Status Completed and PercentComplete 100 in a full save; Exchange stamps
    # CompleteDate (exchangelib itself keeps Status and PercentComplete in step).
    plain = Task(account=account, folder=account.tasks, subject="everyday errand")
    plain.save()
    plain.complete()
    errand = account.tasks.get(id=plain.id)
    c = account.contacts.get(id=contact.id)
    return {
        "task": [t.status, int(t.percent_complete), t.is_complete, t.complete_date is not None],
        "errand": [errand.status, int(errand.percent_complete), errand.complete_date is not None],
        "contact": [c.job_title, c.company_name, c.display_name],
        "view": [(v.subject, v.location, v.start.isoformat()) for v in view if v.subject.startswith("everyday")],
    }


@check("meetings")
def _meetings():
    start = EWSDateTime(2033, 3, 3, 10, 0, tzinfo=UTC)
    meeting = CalendarItem(
        account=account, folder=account.calendar, subject="everyday sync-up", start=start,
        end=start + datetime.timedelta(hours=1), required_attendees=[colleague],
    )
    meeting.save(send_meeting_invitations="SendToNone")
    try:
        meeting.accept(body="sure")
        accepted = "no error"
    except ErrorCalendarIsOrganizerForAccept:
        accepted = "ErrorCalendarIsOrganizerForAccept"
    meeting.cancel()
    return {
        "accept_own": accepted,
        "calendar": account.calendar.filter(subject="everyday sync-up").count(),
        "trash": account.trash.filter(subject="everyday sync-up").count(),
    }


@check("refresh_conflict")
def _refresh_conflict():
    m = Message(account=account, folder=account.drafts, subject="stale v1")
    m.save()
    stale_key = m.changekey
    other = account.drafts.get(id=m.id)
    other.subject = "stale v2"
    other.save(update_fields=["subject"])
    m.refresh()
    refreshed = [m.subject, m.changekey != stale_key]
    m.changekey = stale_key
    m.subject = "stale v3"
    try:
        m.save(update_fields=["subject"], conflict_resolution="NeverOverwrite")
        conflict = "no error"
    except ErrorIrresolvableConflict:
        conflict = "ErrorIrresolvableConflict"
    return {"refreshed": refreshed, "conflict": conflict, "kept": account.drafts.get(id=m.id).subject}


@check("fetch_missing")
def _fetch_missing():
    ids = make(account.drafts, "fm", 2)
    gone = account.drafts.get(subject="fm 01")
    gone_id = (gone.id, gone.changekey)
    gone.delete()
    got = list(account.fetch(ids=[ids[0], gone_id]))
    return {
        "first": got[0].subject,
        "second": type(got[1]).__name__,
        "is_item_not_found": isinstance(got[1], ErrorItemNotFound),
    }


@check("sync")
def _sync():
    f = Folder(parent=account.inbox, name="Everyday Sync")
    f.save()
    make(f, "sy", 3)
    creates = []
    for change_type, item in f.sync_items():
        creates.append([change_type, item.subject])
    state = f.item_sync_state
    one = f.get(subject="sy 01")
    one.subject = "sy 01 changed"
    one.save(update_fields=["subject"])
    f.get(subject="sy 02").delete()
    changes = []
    for change_type, item in f.sync_items(sync_state=state):
        changes.append([change_type, getattr(item, "subject", None) if change_type != "delete" else None])
    hier = []
    for change_type, folder in account.inbox.sync_hierarchy():
        hier.append([change_type, folder.name])
    Folder(parent=f, name="Sync Child").save()
    later = []
    for change_type, folder in account.inbox.sync_hierarchy(sync_state=account.inbox.folder_sync_state):
        later.append([change_type, folder.name])
    return {
        "creates": sorted(creates),
        "changes": sorted(changes, key=str),
        "hier_has": ["create", "Everyday Sync"] in hier,
        "later": later,
    }


report()
