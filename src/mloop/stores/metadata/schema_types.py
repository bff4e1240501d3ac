"""The one MetaData every table belongs to, and the column types they share."""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()
#: json, not jsonb, on PostgreSQL: jsonb reorders object keys, and a summary's column order matters
Json = sa.JSON()
Time = sa.DateTime(timezone=True)
