"""Records name exactly their table's columns, so a migration cannot leave one behind."""

from persistence.models import Message
from persistence.records import MessageRecord, record_columns


def test_a_message_record_has_every_column_of_messages_and_nothing_else():
    assert set(record_columns(MessageRecord)) == set(Message.__table__.columns.keys())
