# -*- coding: utf-8 -*-
# Copyright (c) 2026, supervisor.control developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Reading the end, or a byte slice, of a supervisord log through XML-RPC.

The cost depends on what is asked for, not on the size of the log: the last
N lines are fetched from the end in growing windows until N lines are
collected or the start of the log is reached.

supervisord decodes log bytes as strict UTF-8 before it answers, so a window
that holds an invalid byte (or that starts or ends inside a multi-byte
character) comes back as a ``FAILED`` fault instead of text, and a control
character other than tab, newline and carriage return makes its XML answer
invalid. Every read is parsed leniently by the client
(``client.parse_answer``: the control characters come back as they are). For bad
UTF-8, ``TextReader`` reads the parts that can be read and puts U+FFFD where
bytes cannot be, the way ``bytes.decode('utf-8', 'replace')`` does:
``tailProcess*Log`` faults say where the bad bytes are (one more round trip
each); otherwise, the window is split in two at a character boundary until
the bad bytes are isolated. The same splitting isolates control characters
if even the lenient parse fails.

The algorithms (``TextReader``, ``tail_lines``, ``read_slice``) are pure: they
talk to a *source* with ``size()`` and ``read(offset, length, size)``, which
``ProcessLog`` and ``MainLog`` implement over a SupervisorClient.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import re

from ansible_collections.supervisor.control.plugins.module_utils.errors import (
    SupervisorError,
    SupervisorFault,
    UnparseableAnswer,
)

REPLACEMENT = u'\ufffd'
# The first window of a tail: about this many bytes per wanted line.
BYTES_PER_LINE_GUESS = 160
MIN_WINDOW = 4096
# No single lookup reads more than this (the transport refuses answers above 64 MiB).
MAX_WINDOW = 16 * 1024 * 1024
SIZE_RETRIES = 4
# Reads spent isolating bytes that supervisord cannot send (control characters, invalid UTF-8), per window.
FALLBACK_CALLS = 2000
COARSE_PIECE = 256

# "FAILED: <class 'UnicodeDecodeError'>:'utf-8' codec can't decode byte 0xff in position 3: invalid start byte"
# "... can't decode bytes in position 3-4: unexpected end of data"
_DECODE_SPAN = re.compile(r"UnicodeDecodeError.*?in position (\d+)(?:-(\d+))?:")
# readProcess*Log and readLog turn a UnicodeDecodeError into this (supervisor 4.x), losing the position.
_DECODE_LOST = ("has no attribute 'utf-8'", "has no attribute 'utf8'", 'UnicodeDecodeError')


class Unreadable(Exception):
    """The answer to a read could not be parsed (a control character in the log)."""


class SizeChanged(Exception):
    """The log grew or was rotated while it was being read."""


class Invalid(object):
    """A read that supervisord could not decode as UTF-8.

    ``span`` is ``(start, end)`` of the first bad sequence, relative to the
    offset of the read, when supervisord said where it is; otherwise None.
    """

    def __init__(self, span=None):
        self.span = span

    def __repr__(self):
        return 'Invalid(%r)' % (self.span,)


class LogError(SupervisorError):
    """A log that cannot be read: not configured, or a bad request."""


def decode_failure(fault):
    """An Invalid for a FAILED fault caused by bad UTF-8, else None."""
    if not isinstance(fault, SupervisorFault) or fault.name != 'FAILED':
        return None
    text = fault.fault_string
    found = _DECODE_SPAN.search(text)
    if found:
        start = int(found.group(1))
        end = int(found.group(2)) + 1 if found.group(2) else start + 1
        return Invalid((start, end))
    if any(marker in text for marker in _DECODE_LOST):
        return Invalid(None)
    return None


def split_lines(text):
    """Lines split on ``\\n`` only, each keeping its newline; the last may lack one."""
    parts = text.split(u'\n')
    lines = [part + u'\n' for part in parts[:-1]]
    if parts[-1]:
        lines.append(parts[-1])
    return lines


class TextReader(object):
    """Decodes byte ranges of a log of ``size`` bytes, with U+FFFD for unreadable bytes."""

    def __init__(self, source, size, budget=None):
        self.source = source
        self.size = size
        # Calls left for isolating unreadable bytes; past it, an unreadable range becomes one U+FFFD.
        self.budget = FALLBACK_CALLS if budget is None else budget

    def text(self, start, end):
        """The text of bytes ``[start, end)``.

        Ranges are worked on from the right, with an explicit stack: the end of a
        log matters most, so it gets the call budget first, and a long run of bad
        bytes cannot exhaust Python's recursion limit.
        """
        pieces = []  # right to left
        stack = [(start, end)]
        while stack:
            item = stack.pop()
            if not isinstance(item, tuple):
                pieces.append(item)
                continue
            low, high = item
            if low >= high:
                continue
            for piece in reversed(self._decode(low, high, stack)):
                pieces.append(piece)
        return u''.join(reversed(pieces))

    def _fetch(self, offset, length):
        self.budget -= 1
        return self.source.read(offset, length, self.size)

    def _read(self, offset, length):
        try:
            return self._fetch(offset, length)
        except Unreadable:
            return Invalid(None)

    def _decode(self, start, end, stack):
        """Text for ``[start, end)``, or an empty list after pushing its parts, left first, on ``stack``."""
        result = self._read(start, end - start)
        if not isinstance(result, Invalid):
            return [result]
        if result.span is not None:
            bad_start, bad_end = result.span
            bad_end = max(bad_end, bad_start + 1)
            stack.extend([(start, start + bad_start), REPLACEMENT, (min(end, start + bad_end), end)])
            return []
        if self.budget <= 0:
            # Out of calls: keep what reads in coarse pieces, one U+FFFD for each piece that does not.
            if end - start <= COARSE_PIECE:
                return [REPLACEMENT]
            middle = (start + end) // 2
        elif end - start <= 8:
            out = []
            self._scan(start, end, out)
            return out
        else:
            middle = self._split(start, end)
        stack.extend([(start, middle), (middle, end)])
        return []

    def _scan(self, start, end, out):
        """Character by character: what decodes is kept, each other byte becomes U+FFFD."""
        while start < end:
            length = self._character_at(start, end - start)
            if length:
                out.append(self._fetch(start, length))
                start += length
            else:
                out.append(REPLACEMENT)
                start += 1

    def _split(self, start, end):
        """A character boundary near the middle of ``[start, end)``."""
        middle = (start + end) // 2
        # A character has at most 4 bytes: one of 4 neighbouring offsets starts one, unless the bytes are invalid.
        for delta in (0, 1, -1, 2, -2, 3, -3):
            candidate = middle + delta
            if start < candidate < end and self._starts_character(candidate):
                return candidate
        return middle

    def _starts_character(self, offset):
        """Whether a character starts at ``offset``."""
        return self._character_at(offset, 4) is not None

    def _character_at(self, offset, limit):
        """The length of the character at ``offset`` (at most ``limit`` bytes), 0 for an unreadable
        control character, None when no character starts there."""
        for length in range(1, min(4, limit, self.size - offset) + 1):
            try:
                result = self._fetch(offset, length)
            except Unreadable:
                return 0  # decoded, but a control character: one ASCII byte
            if not isinstance(result, Invalid):
                return length
        return None


def _retrying(source, body):
    """Run ``body(size)``; start again with a fresh size when the log changed under us."""
    for attempt in range(SIZE_RETRIES + 1):
        if attempt == SIZE_RETRIES:
            # A log that keeps growing: read exact ranges, without tail's bad-byte positions.
            source.exact = True
        try:
            return body(source.size())
        except SizeChanged:
            continue
    raise LogError('the log of %s kept changing while it was read' % source.label)  # pragma: no cover


def tail_lines(source, count, window=None):
    """The last ``count`` lines of the log, as one string.

    Windows grow from the end until ``count`` complete lines are in one, or it
    reaches the start of the log (or MAX_WINDOW bytes, when the lines found are
    returned). The first, partial line of a window that does not start at
    offset 0 is never returned.
    """
    if count < 1:
        raise LogError('lines must be 1 or more, got %d' % count)
    first = window or max(MIN_WINDOW, count * BYTES_PER_LINE_GUESS)

    def body(size):
        want = min(first, MAX_WINDOW)
        while True:
            start = max(0, size - want)
            text = TextReader(source, size).text(start, size)
            if start > 0:
                newline = text.find(u'\n')
                text = text[newline + 1:] if newline >= 0 else u''
            lines = split_lines(text)
            if len(lines) >= count or start == 0 or want >= MAX_WINDOW:
                return u''.join(lines[-count:])
            per_line = float(size - start) / max(len(lines), 1)
            want = min(MAX_WINDOW, max(want * 2, int(per_line * (count + 1) * 1.25)))

    return _retrying(source, body)


def slice_bounds(offset, length, size):
    """``[start, end)`` of readProcessStdoutLog(name, offset, length) on a log of ``size`` bytes."""
    if offset < 0:
        if length:
            raise LogError('a negative offset (%d: the last %d bytes) needs length 0' % (offset, -offset))
        return max(0, size + offset), size
    if length < 0:
        raise LogError('length must be 0 (to the end) or more, got %d' % length)
    if length == 0:
        return min(offset, size), size
    return min(offset, size), min(offset + length, size)


def read_slice(source, offset, length):
    """The bytes supervisord's ``read*Log(offset, length)`` would return, decoded with replacement."""
    slice_bounds(offset, length, 0)  # validate before any call

    def body(size):
        start, end = slice_bounds(offset, length, size)
        if end - start > MAX_WINDOW:
            raise LogError('the slice of %s is %d bytes: a lookup reads at most %d; give a smaller length'
                           % (source.label, end - start, MAX_WINDOW))
        return TextReader(source, size).text(start, end)

    return _retrying(source, body)


class _XmlRpcLog(object):
    exact = False
    label = 'the log'

    def __init__(self, client):
        self.client = client

    # Parse answers leniently: log text may hold raw control characters (client.parse_answer).
    lenient = True

    def _call(self, method, params):
        """One call through system.multicall, so that a decoding failure comes back as a fault."""
        try:
            value = self.client.multicall([(method, params)], lenient=self.lenient)[0]
        except UnparseableAnswer as exc:
            raise Unreadable(str(exc))
        if isinstance(value, SupervisorFault):
            invalid = decode_failure(value)
            if invalid is not None:
                return invalid
            self.fault(value)
        return value

    def fault(self, fault):
        raise fault


class ProcessLog(_XmlRpcLog):
    """The stdout or stderr log of one process (``namespec`` is ``group:name``)."""

    def __init__(self, client, namespec, stream, label=None):
        super(ProcessLog, self).__init__(client)
        self.namespec = namespec
        self.stream = stream
        self.label = label or namespec
        suffix = 'Stderr' if stream == 'stderr' else 'Stdout'
        self.tail_method = 'supervisor.tailProcess%sLog' % suffix
        self.read_method = 'supervisor.readProcess%sLog' % suffix

    def fault(self, fault):
        if fault.name == 'NO_FILE':
            raise LogError('the %s log of %s does not exist: %s' % (self.stream, self.label, fault))
        raise fault

    def size(self):
        # Never fails on content: length 0 reads nothing. A configured log that
        # does not exist yet has size 0.
        value = self._call(self.tail_method, [self.namespec, 0, 0])
        return int(value[1])

    def read(self, offset, length, size):
        if offset + length == size and not self.exact:
            # tail reads exactly [offset, size) while the size is unchanged, and
            # its decoding faults say where the bad bytes are.
            value = self._call(self.tail_method, [self.namespec, offset, length])
            if isinstance(value, Invalid):
                return value
            data, new_size, _overflow = value
            if int(new_size) != size:
                raise SizeChanged()
            return data
        return self._call(self.read_method, [self.namespec, offset, length])


class MainLog(_XmlRpcLog):
    """supervisord's own log (``readLog``)."""

    label = 'supervisord (main log)'

    def fault(self, fault):
        if fault.name == 'NO_FILE':
            raise LogError('supervisord has no main log file to read (logfile is NONE or missing): %s' % fault)
        raise fault

    def _has_byte(self, offset):
        try:
            value = self._call('supervisor.readLog', [offset, 1])
        except Unreadable:
            return True
        return isinstance(value, Invalid) or value != u''

    def size(self):
        """readLog gives no size: find the end with 1-byte probes (about 2 log2(size) calls)."""
        if not self._has_byte(0):
            return 0
        low, high = 0, 1  # a byte at low; is there one at high?
        while self._has_byte(high):
            low, high = high, high * 2
        while high - low > 1:
            middle = (low + high) // 2
            if self._has_byte(middle):
                low = middle
            else:
                high = middle
        return high

    def read(self, offset, length, size):
        value = self._call('supervisor.readLog', [offset, length])
        if isinstance(value, Invalid):
            return Invalid(None)
        return value
