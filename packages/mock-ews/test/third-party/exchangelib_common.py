"""What the exchangelib scripts (exchangelib_client.py, exchangelib_settings.py) share: the
account on the mock, named checks that record a failure instead of stopping, and the JSON
report the vitest tests read.

Command line of every script: URL USERNAME MAILBOX  (password in env MOCK_EWS_PASSWORD).
"""
import json
import os
import sys
import traceback

from exchangelib import BASIC, DELEGATE, Account, Build, Configuration, Credentials, EWSTimeZone, Version

UTC = EWSTimeZone("UTC")
checks = {}


def connect():
    """The mailbox of the command line, over the given URL with Basic auth and a fixed build (no autodiscover)."""
    url, username, mailbox = sys.argv[1], sys.argv[2], sys.argv[3]
    config = Configuration(
        service_endpoint=url,
        credentials=Credentials(username, os.environ["MOCK_EWS_PASSWORD"]),
        auth_type=BASIC,
        version=Version(build=Build(15, 1, 2507, 6)),
    )
    return Account(
        primary_smtp_address=mailbox, config=config, autodiscover=False, access_type=DELEGATE, default_timezone=UTC
    )


def check(name):
    """Runs the decorated function at once and records its result (or its error) as checks[name]."""

    def wrap(fn):
        try:
            checks[name] = fn()
        except Exception as error:  # recorded, the test reports which check failed and why
            checks[name] = {"error": f"{type(error).__name__}: {error}", "trace": traceback.format_exc()[-1500:]}
        return fn

    return wrap


def report():
    """Prints the one JSON object the test parses: {"checks": {name: value, ...}}."""
    print(json.dumps({"checks": checks}, default=str))
