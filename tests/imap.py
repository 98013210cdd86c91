"""
A real IMAP server for the tests: Debian's dovecot-imapd, started as the
current user on a free loopback port with a throwaway configuration, one
user from a static password file and maildirs in a temporary directory.
Plain IMAP without TLS (the tests set BOUNCE_IMAP_SSL=false).
"""

import grp
import imaplib
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from .workers import free_port

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"
USER = "bounces@example.se"
PASSWORD = "bounce-mailbox-password"  # noqa: S105 - a throwaway mailbox of the tests


def available() -> bool:
    return os.path.exists(DOVECOT)


class Dovecot:
    def __init__(self):
        self.port = free_port()
        self.directory = Path(tempfile.mkdtemp(prefix="msi-dovecot-"))
        self.process: subprocess.Popen | None = None

    def _configure(self) -> Path:
        uid, gid = os.getuid(), os.getgid()
        user, group = pwd.getpwuid(uid).pw_name, grp.getgrgid(gid).gr_name
        login_user = user
        if uid == 0:
            # Dovecot's login processes refuse to run as root: as root, the
            # package's own unprivileged users do the work.
            login_user = "dovenull"
            account = pwd.getpwnam("dovecot")
            user, group, uid, gid = (
                account.pw_name,
                grp.getgrgid(account.pw_gid).gr_name,
                account.pw_uid,
                account.pw_gid,
            )
        for name in ("run", "state", "mail"):
            (self.directory / name).mkdir()
        os.chown(self.directory / "mail", uid, gid)
        self.directory.chmod(0o755)  # for the unprivileged users to reach the password file
        (self.directory / "users").write_text(f"{USER}:{{PLAIN}}{PASSWORD}::::::\n")
        config = self.directory / "dovecot.conf"
        config.write_text(
            f"""
protocols = imap
listen = 127.0.0.1
base_dir = {self.directory}/run
state_dir = {self.directory}/state
log_path = {self.directory}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = {user}
default_internal_group = {group}
default_login_user = {login_user}
first_valid_uid = 0
first_valid_gid = 0
mail_location = maildir:{self.directory}/mail/%n
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {self.directory}/users
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={self.directory}/mail/%n
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {self.port}
  }}
  inet_listener imaps {{
    port = 0
  }}
  chroot =
  user = {login_user}
}}
service anvil {{
  chroot =
}}
service auth-worker {{
  user = {user}
}}
service stats {{
  chroot =
}}
service imap {{
  user = {user}
}}
"""
        )
        return config

    def __enter__(self) -> "Dovecot":
        config = self._configure()
        self.process = subprocess.Popen(  # noqa: S603 - our own throwaway configuration
            [DOVECOT, "-F", "-c", str(config)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"dovecot stopped: {self.process.stderr.read().decode() if self.process.stderr else ''}"
                )
            try:
                with self.connect():
                    return self
            except (OSError, imaplib.IMAP4.error):
                time.sleep(0.1)
        self.__exit__()
        raise RuntimeError(f"dovecot did not answer on port {self.port}: {self.log()}")

    def __exit__(self, *exc) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.directory, ignore_errors=True)

    def log(self) -> str:
        path = self.directory / "dovecot.log"
        return path.read_text() if path.exists() else ""

    def connect(self) -> imaplib.IMAP4:
        imap = imaplib.IMAP4("127.0.0.1", self.port, timeout=5)
        imap.login(USER, PASSWORD)
        return imap

    def settings(self) -> dict:
        return {
            "BOUNCE_IMAP_HOST": "127.0.0.1",
            "BOUNCE_IMAP_PORT": self.port,
            "BOUNCE_IMAP_USER": USER,
            "BOUNCE_IMAP_PASSWORD": PASSWORD,
            "BOUNCE_IMAP_SSL": False,
            "BOUNCE_IMAP_FOLDER": "INBOX",
        }

    def append(self, message: bytes, folder: str = "INBOX") -> None:
        """Put a message in the mailbox, as a mail server delivering it would."""
        with self.connect() as imap:
            imap.create(folder)
            status, detail = imap.append(folder, None, None, message)
            assert status == "OK", detail

    def messages(self, folder: str) -> list[bytes]:
        """The raw messages in `folder` (none when it does not exist)."""
        with self.connect() as imap:
            status, _ = imap.select(folder, readonly=True)
            if status != "OK":
                return []
            _, data = imap.uid("SEARCH", "ALL")
            found = []
            for uid in data[0].split():
                _, parts = imap.uid("FETCH", uid, "(BODY.PEEK[])")
                found.extend(part[1] for part in parts if isinstance(part, tuple))
            return found

    def count(self, folder: str) -> int:
        return len(self.messages(folder))
