"""Drives the mock EWS server with an unmodified exchangelib (Debian python3-exchangelib).

Usage: exchangelib_client.py URL USERNAME MAILBOX  (password in env MOCK_EWS_PASSWORD)
Prints one JSON object: {"checks": {name: value, ...}} for the vitest test to assert on.
Each check runs on its own; a failure is recorded as {"error": "..."} instead of stopping.
"""
import datetime

from exchangelib import (
    CalendarItem,
    Contact,
    EWSDateTime,
    ExtendedProperty,
    FileAttachment,
    ItemAttachment,
    Message,
    Q,
    Task,
)
from exchangelib.indexed_properties import EmailAddress, PhoneNumber, PhysicalAddress
from exchangelib.recurrence import DailyPattern, Recurrence
from exchangelib.folders import Calendar, Contacts, Inbox

from exchangelib_common import UTC, check, connect, report

account = connect()


class LuckyNumber(ExtendedProperty):
    distinguished_property_set_id = "PublicStrings"
    property_name = "LuckyNumber"
    property_type = "Integer"


class Tags(ExtendedProperty):
    property_set_id = "c11ff724-aa03-4555-9952-8fa248a11c3e"
    property_id = 0x8001
    property_type = "StringArray"


class FlagStatus(ExtendedProperty):
    property_tag = 0x1090
    property_type = "Integer"


class SubjectTag(ExtendedProperty):
    property_tag = 0x0037
    property_type = "String"


Message.register("lucky_number", LuckyNumber)
Message.register("tags", Tags)
Message.register("flag_status_prop", FlagStatus)
Message.register("subject_prop", SubjectTag)


@check("folders")
def _folders():
    names = sorted(f.name for f in account.root.walk() if f.name)
    return {"inbox": account.inbox.name, "count": len(names), "has_calendar": "Calendar" in names}


@check("messages")
def _messages():
    folder = account.drafts
    m = Message(
        account=account,
        folder=folder,
        subject="exchangelib one",
        body="hello",
        categories=["Red", "Blue"],
        is_read=False,
    )
    m.save()
    fetched = folder.get(id=m.id)
    out = {"subject": fetched.subject, "is_read": fetched.is_read, "categories": fetched.categories}
    fetched.is_read = True
    fetched.save(update_fields=["is_read"])
    out["is_read_after"] = folder.get(id=m.id).is_read
    moved = fetched.move(account.inbox)
    out["moved"] = account.inbox.filter(subject="exchangelib one").count()
    account.inbox.get(subject="exchangelib one").delete()
    out["after_delete"] = account.inbox.filter(subject="exchangelib one").count()
    return out


@check("restrictions")
def _restrictions():
    inbox = account.inbox
    base = EWSDateTime(2030, 1, 1, tzinfo=UTC)
    for i, (subject, cats, read) in enumerate(
        [("alpha report", ["Red"], True), ("beta Report", ["Blue", "Green"], False), ("gamma", [], False)]
    ):
        Message(account=account, folder=inbox, subject=subject, categories=cats, is_read=read).save()
    q = inbox.filter(subject__in=["alpha report", "beta Report", "gamma"])
    return {
        "categories_red": sorted(i.subject for i in q.filter(categories__contains=["Red"])),
        "categories_eq": sorted(i.subject for i in q.filter(categories="Green")),
        "unread": sorted(i.subject for i in q.filter(is_read=False)),
        "contains": sorted(i.subject for i in q.filter(subject__icontains="report")),
        "startswith": sorted(i.subject for i in q.filter(subject__istartswith="BETA")),
        "not_read_or_red": sorted(i.subject for i in q.filter(~Q(is_read=True) | Q(categories="Red"))),
        "and_not": sorted(i.subject for i in q.filter(Q(is_read=False) & ~Q(subject="gamma"))),
        "recent": q.filter(datetime_received__gt=EWSDateTime(2020, 1, 1, tzinfo=UTC)).count(),
        "future": q.filter(datetime_received__gt=base).count(),
        "exists": q.filter(categories__exists=True).count(),
        "ordered": [i.subject for i in q.order_by("-subject")],
    }


@check("extended")
def _extended():
    m = Message(account=account, folder=account.drafts, subject="ext", lucky_number=7, tags=["a", "b"])
    m.save()
    got = account.drafts.get(id=m.id)
    out = {
        "lucky": got.lucky_number,
        "tags": list(got.tags or []),
        "subject_prop": got.subject_prop,
    }
    got.lucky_number = 8
    got.flag_status_prop = 2
    got.save(update_fields=["lucky_number", "flag_status_prop"])
    again = account.drafts.get(id=m.id)
    out["lucky_after"] = again.lucky_number
    out["flag_after"] = again.flag_status_prop
    out["filtered"] = account.drafts.filter(lucky_number=8).count()
    again.lucky_number = None
    again.save(update_fields=["lucky_number"])
    out["lucky_deleted"] = account.drafts.get(id=m.id).lucky_number
    return out


@check("contacts")
def _contacts():
    c = Contact(
        account=account,
        folder=account.contacts,
        display_name="Ada Lovelace",
        given_name="Ada",
        surname="Lovelace",
        email_addresses=[EmailAddress(email="ada@example.test", label="EmailAddress1")],
        phone_numbers=[
            PhoneNumber(label="BusinessPhone", phone_number="+1 555 0100"),
            PhoneNumber(label="HomePhone", phone_number="+1 555 0101"),
            PhoneNumber(label="Pager", phone_number="+1 555 0102"),
        ],
        physical_addresses=[PhysicalAddress(label="Home", street="1 Main St", city="London", zipcode="N1")],
    )
    c.save()
    got = account.contacts.get(id=c.id)
    out = {
        "phones": sorted((p.label, p.phone_number) for p in got.phone_numbers or []),
        "emails": [e.email for e in got.email_addresses or []],
        "address": [(a.label, a.street, a.city, a.zipcode) for a in got.physical_addresses or []],
    }
    got.phone_numbers = [PhoneNumber(label="MobilePhone", phone_number="+1 555 0199")]
    got.save(update_fields=["phone_numbers"])
    again = account.contacts.get(id=c.id)
    out["phones_after"] = sorted((p.label, p.phone_number) for p in again.phone_numbers or [])
    again.job_title = "Analyst"
    again.save()  # a full save: every writable field, indexed ones (ImAddress too) entry by entry
    final = account.contacts.get(id=c.id)
    out["full_save"] = [final.job_title, final.display_name, [e.email for e in final.email_addresses or []]]
    return out


@check("calendar")
def _calendar():
    start = EWSDateTime(2031, 3, 2, 9, 0, tzinfo=UTC)
    item = CalendarItem(
        account=account,
        folder=account.calendar,
        subject="daily standup",
        start=start,
        end=start + datetime.timedelta(minutes=30),
        recurrence=Recurrence(pattern=DailyPattern(interval=1), start=start.date(), number=5),
    )
    item.save()
    view = list(
        account.calendar.view(start=EWSDateTime(2031, 3, 1, tzinfo=UTC), end=EWSDateTime(2031, 3, 10, tzinfo=UTC))
    )
    standups = [v for v in view if v.subject == "daily standup"]
    out = {
        "count": len(standups),
        "types": sorted({v.type for v in standups}),
        "starts": [v.start.isoformat() for v in standups],
    }
    # Delete the third occurrence, change the second.
    standups[2].delete()
    second = standups[1]
    second.subject = "moved standup"
    second.save(update_fields=["subject"])
    view = list(
        account.calendar.view(start=EWSDateTime(2031, 3, 1, tzinfo=UTC), end=EWSDateTime(2031, 3, 10, tzinfo=UTC))
    )
    mine = [v for v in view if v.subject in ("daily standup", "moved standup")]
    out["after"] = [(v.subject, v.type) for v in mine]
    master = account.calendar.get(id=item.id)
    out["master_type"] = master.type
    out["deleted_occurrences"] = len(master.deleted_occurrences or [])
    out["limited"] = len(
        list(
            account.calendar.view(
                start=EWSDateTime(2031, 3, 1, tzinfo=UTC), end=EWSDateTime(2031, 3, 10, tzinfo=UTC), max_items=2
            )
        )
    )
    return out


@check("full_save")
def _full_save():
    start = EWSDateTime(2031, 4, 1, 9, 0, tzinfo=UTC)
    item = CalendarItem(
        account=account,
        folder=account.calendar,
        subject="review",
        start=start,
        end=start + datetime.timedelta(hours=1),
        reminder_is_set=True,
        reminder_minutes_before_start=30,
        required_attendees=["bob@example.test"],
    )
    item.save()
    item.start = start + datetime.timedelta(hours=2)
    item.end = start + datetime.timedelta(hours=3)
    item.save(update_fields=["start", "end"])  # exchangelib adds the time zone fields
    got = account.calendar.get(id=item.id)
    got.subject = "review (moved)"
    got.reminder_minutes_before_start = 45
    got.save()  # every writable field, as exchangelib's full update sends them
    again = account.calendar.get(id=item.id)
    m = Message(account=account, folder=account.drafts, subject="full", importance="High", is_read_receipt_requested=True)
    m.save()
    fetched = account.drafts.get(id=m.id)
    fetched.categories = ["X"]
    fetched.save()
    message = account.drafts.get(id=m.id)
    return {
        "start": again.start.isoformat(),
        "subject": again.subject,
        "reminder": [again.reminder_is_set, again.reminder_minutes_before_start],
        "attendees": [a.mailbox.email_address for a in again.required_attendees or []],
        "message": [message.categories, message.importance, message.is_read_receipt_requested],
    }


@check("misc")
def _misc():
    from decimal import Decimal

    folder = account.inbox
    subjects = ["misc %02d" % i for i in range(7)]
    for i, subject in enumerate(subjects):
        Message(account=account, folder=folder, subject=subject, importance="High" if i % 3 == 0 else "Low").save()
    q = folder.filter(subject__startswith="misc ")
    page = [i.subject for i in q.order_by("subject").only("subject")[2:5]]
    fetched = list(account.fetch(ids=[(i.id, i.changekey) for i in q.order_by("subject")[:2]]))
    source = q.order_by("subject")[0]
    source.copy(to_folder=account.drafts)
    q.order_by("subject")[1].soft_delete()
    task = Task(account=account, folder=account.tasks, subject="misc task", status="InProgress", percent_complete=Decimal(50))
    task.save()
    got_task = account.tasks.get(subject="misc task")
    updated = account.bulk_update(items=[(i, ["is_read"]) for i in q.order_by("subject")[:2] if setattr(i, "is_read", True) is None])
    return {
        "page": page,
        "fetched": [i.subject for i in fetched],
        "high": q.filter(importance="High").count(),
        "copied": account.drafts.filter(subject="misc 00").count(),
        "after_soft_delete": q.count(),
        "task": [got_task.status, int(got_task.percent_complete)],
        "bulk_updated": len(updated),
        "read_now": q.filter(is_read=True).count(),
    }


@check("attachments")
def _attachments():
    inner = Message(subject="embedded note", body="inside")
    m = Message(account=account, folder=account.drafts, subject="with attachments")
    m.attach(ItemAttachment(name="the note", item=inner))
    m.attach(FileAttachment(name="a.txt", content=b"file bytes"))
    m.save()
    got = account.drafts.get(id=m.id)
    out = {"has_attachments": got.has_attachments, "names": sorted(a.name for a in got.attachments)}
    for a in got.attachments:
        if isinstance(a, ItemAttachment):
            out["embedded_subject"] = a.item.subject
        else:
            out["file_content"] = a.content.decode()
    later = ItemAttachment(name="second note", item=Message(subject="added later"))
    got.attach(later)
    out["after_attach"] = len(account.drafts.get(id=m.id).attachments)
    got.detach(later)
    out["after_detach"] = len(account.drafts.get(id=m.id).attachments)
    return out


report()
