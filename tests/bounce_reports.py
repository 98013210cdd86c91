"""
Bounce reports in the shapes real mail servers send them, for the tests:
RFC 3464 with the original headers, Exchange/Outlook without them, Gmail,
Postfix, a delay notice, an out-of-office reply, and mail that is no
report at all. Each takes the address it comes back to (`to`: a VERP
return address or the plain bounce address) and the failed recipient.
"""

import secrets
from email.utils import format_datetime

from django.utils import timezone

BOUNCE_ADDRESS = "bounces@msi.example.se"


def _id(domain: str = "mx.example.net") -> str:
    return f"<{secrets.token_hex(8)}@{domain}>"


def _date(when=None) -> str:
    return format_datetime(when or timezone.now())


def _crlf(text: str) -> bytes:
    return text.lstrip("\n").replace("\r\n", "\n").replace("\n", "\r\n").encode()


def rfc3464(*, to: str, recipient: str, message_id: str, status="5.1.1", diagnostic="550 5.1.1 User unknown") -> bytes:
    """A standard delivery status notification with the original's headers (text/rfc822-headers)."""
    return _crlf(
        f"""
Return-Path: <>
Delivered-To: {to}
From: Mail Delivery System <MAILER-DAEMON@mx.kommun.example.se>
To: {to}
Subject: Delivery Status Notification (Failure)
Date: {_date()}
Message-ID: {_id()}
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="BOUNDARY1"

--BOUNDARY1
Content-Type: text/plain; charset=us-ascii

This is the mail system at host mx.kommun.example.se.
Your message could not be delivered to one or more recipients.

--BOUNDARY1
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.kommun.example.se
Arrival-Date: {_date()}

Final-Recipient: rfc822; {recipient}
Original-Recipient: rfc822; {recipient}
Action: failed
Status: {status}
Remote-MTA: dns; mail.kommun.example.se
Diagnostic-Code: smtp; {diagnostic}

--BOUNDARY1
Content-Type: text/rfc822-headers

Return-Path: <{to}>
From: =?utf-8?q?M=C3=B6tesplats_Social_Innovation?= <noreply@msi.example.se>
To: {recipient}
Subject: =?utf-8?q?Inbjudan?=
Message-ID: {message_id}

--BOUNDARY1--
"""
    )


def exchange_without_headers(*, recipient: str, when=None) -> bytes:
    """Exchange Online/Outlook: a report sent to the plain bounce address that carries no original headers."""
    return _crlf(
        f"""
From: Microsoft Outlook <postmaster@kommun.example.se>
To: <{BOUNCE_ADDRESS}>
Date: {_date(when)}
Subject: Undeliverable: Inbjudan till enkäten
Message-ID: {_id("kommun.example.se")}
Content-Language: sv-SE
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="EXCH2"
X-MS-Exchange-Message-Is-Ndr:

--EXCH2
Content-Type: text/plain; charset="utf-8"
Content-Transfer-Encoding: 8bit

Delivery has failed to these recipients or groups:

{recipient}
The email address you entered couldn't be found. Please check the recipient's email address and try again.

Diagnostic information for administrators:

Generating server: AM0PR01MB1234.eurprd01.prod.exchangelabs.com

{recipient}
Remote Server returned '550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup'

--EXCH2
Content-Type: message/delivery-status

Reporting-MTA: dns;AM0PR01MB1234.eurprd01.prod.exchangelabs.com
Received-From-MTA: dns;mail.msi.example.se
Arrival-Date: {_date(when)}

Final-Recipient: rfc822;{recipient}
Action: failed
Status: 5.1.10
Diagnostic-Code: smtp;550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup

--EXCH2--
"""
    )


def gmail(*, to: str, recipient: str, message_id: str) -> bytes:
    """Gmail's "Address not found", with the original message attached (message/rfc822)."""
    return _crlf(
        f"""
Delivered-To: {to}
From: Mail Delivery Subsystem <mailer-daemon@googlemail.com>
To: {to}
Auto-Submitted: auto-replied
Subject: Delivery Status Notification (Failure)
Date: {_date()}
Message-ID: {_id("mx.google.com")}
MIME-Version: 1.0
Content-Type: multipart/report; boundary="000000000000gmail"; report-type=delivery-status

--000000000000gmail
Content-Type: multipart/related; boundary="000000000000rel"

--000000000000rel
Content-Type: multipart/alternative; boundary="000000000000alt"

--000000000000alt
Content-Type: text/plain; charset="UTF-8"

** Address not found **

Your message wasn't delivered to {recipient} because the address couldn't be found, or is unable to receive mail.

The response was:

550 5.1.1 The email account that you tried to reach does not exist. Please try double-checking
the recipient's email address for typos or unnecessary spaces.

--000000000000alt
Content-Type: text/html; charset="UTF-8"

<html><body><h1>Address not found</h1><p>Your message wasn't delivered to <b>{recipient}</b>.</p></body></html>

--000000000000alt--
--000000000000rel--
--000000000000gmail
Content-Type: message/delivery-status

Reporting-MTA: dns; googlemail.com
Arrival-Date: {_date()}

Final-Recipient: rfc822; {recipient}
Action: failed
Status: 5.1.1
Remote-MTA: dns; gmail-smtp-in.l.google.com. (142.250.0.27, the server for the domain gmail.com.)
Diagnostic-Code: smtp; 550-5.1.1 The email account that you tried to reach does not exist.
Last-Attempt-Date: {_date()}

--000000000000gmail
Content-Type: message/rfc822

Return-Path: <{to}>
From: noreply@msi.example.se
To: {recipient}
Subject: Inbjudan
Message-ID: {message_id}
MIME-Version: 1.0
Content-Type: text/plain; charset="UTF-8"

Hej! Svara på enkäten.

--000000000000gmail--
"""
    )


def postfix(*, to: str, recipient: str, message_id: str) -> bytes:
    """Postfix's "Undelivered Mail Returned to Sender": the mailbox is full."""
    return _crlf(
        f"""
Return-Path: <>
X-Original-To: {to}
Delivered-To: {to}
From: MAILER-DAEMON@mail.region.example.se (Mail Delivery System)
Subject: Undelivered Mail Returned to Sender
To: {to}
Auto-Submitted: auto-replied
Date: {_date()}
Message-Id: <20261128083000.{secrets.token_hex(5).upper()}@mail.region.example.se>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status;
	boundary="4F1C2E0123.1764318600/mail.region.example.se"

This is a MIME-encapsulated message.

--4F1C2E0123.1764318600/mail.region.example.se
Content-Description: Notification
Content-Type: text/plain; charset=us-ascii

This is the mail system at host mail.region.example.se.

I'm sorry to have to inform you that your message could not
be delivered to one or more recipients.

<{recipient}>: host mailbox.region.example.se[10.0.0.5] said: 552 5.2.2
    Mailbox full (in reply to RCPT TO command)

--4F1C2E0123.1764318600/mail.region.example.se
Content-Description: Delivery report
Content-Type: message/delivery-status

Reporting-MTA: dns; mail.region.example.se
X-Postfix-Queue-ID: 4F1C2E0123
X-Postfix-Sender: rfc822; {to}
Arrival-Date: {_date()}

Final-Recipient: rfc822; {recipient}
Original-Recipient: rfc822;{recipient}
Action: failed
Status: 5.2.2
Remote-MTA: dns; mailbox.region.example.se
Diagnostic-Code: smtp; 552 5.2.2 Mailbox full

--4F1C2E0123.1764318600/mail.region.example.se
Content-Description: Undelivered Message Headers
Content-Type: text/rfc822-headers

Return-Path: <{to}>
From: noreply@msi.example.se
To: {recipient}
Subject: Inbjudan
Message-ID: {message_id}

--4F1C2E0123.1764318600/mail.region.example.se--
"""
    )


def delay(*, to: str, recipient: str) -> bytes:
    """A delay notice ("still trying"): Action delayed, 4.4.7. Each one a message of its own."""
    return _crlf(
        f"""
From: Mail Delivery System <MAILER-DAEMON@mail.region.example.se>
To: {to}
Subject: Delayed Mail (still being retried)
Auto-Submitted: auto-replied
Date: {_date()}
Message-ID: {_id("mail.region.example.se")}
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="DELAY"

--DELAY
Content-Type: text/plain

Your message could not be delivered for 4 hours. It will be retried until it is 5 days old.

--DELAY
Content-Type: message/delivery-status

Reporting-MTA: dns; mail.region.example.se

Final-Recipient: rfc822; {recipient}
Action: delayed
Status: 4.4.7
Diagnostic-Code: smtp; 451 4.4.7 Connection timed out
Will-Retry-Until: {_date()}

--DELAY--
"""
    )


def out_of_office(*, to: str, sender: str) -> bytes:
    """An Outlook out-of-office reply, sent to the return address: no bounce."""
    return _crlf(
        f"""
From: {sender}
To: {to}
Subject: Automatiskt svar: Inbjudan till enkäten
Auto-Submitted: auto-replied
X-Auto-Response-Suppress: All
X-MS-Exchange-Inbox-Rules-Loop: {sender}
Date: {_date()}
Message-ID: {_id("kommun.example.se")}
Content-Type: text/plain; charset="utf-8"
Content-Transfer-Encoding: 8bit

Jag är på semester till och med 5 januari och läser inte min e-post.
"""
    )


def not_a_report() -> bytes:
    return _crlf(
        f"""
From: Anna Andersson <anna@kommun.example.se>
To: {BOUNCE_ADDRESS}
Subject: Fråga om enkäten
Date: {_date()}
Message-ID: {_id("kommun.example.se")}
Content-Type: text/plain; charset="utf-8"
Content-Transfer-Encoding: 8bit

Hej! Vem ska jag kontakta om enkäten?
"""
    )
