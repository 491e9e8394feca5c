"""The office's time zone: dates officials read and write are China dates."""

from datetime import timedelta, timezone

CHINA = timezone(timedelta(hours=8), "Asia/Shanghai")
