from django.core.mail.backends.locmem import EmailBackend


class ScriptedBackend(EmailBackend):
    """locmem backend that first raises each exception in ``failures``, one per send."""

    failures: list[BaseException] = []
    opened = 0
    sends = 0

    @classmethod
    def reset(cls) -> None:
        cls.failures = []
        cls.opened = 0
        cls.sends = 0

    def open(self) -> bool:
        type(self).opened += 1
        return True

    def send_messages(self, messages) -> int:
        type(self).sends += 1
        if type(self).failures:
            raise type(self).failures.pop(0)
        return super().send_messages(messages)


class CommitSettingBackend(EmailBackend):
    """locmem backend noting the database session's ``synchronous_commit`` at each send."""

    seen: list[str] = []

    def send_messages(self, messages) -> int:
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("SHOW synchronous_commit")
            type(self).seen.append(cursor.fetchone()[0])
        return super().send_messages(messages)
