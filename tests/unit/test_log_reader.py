"""Unit tests of plugins/module_utils/log_reader.py against a fake supervisord.

The fake answers tailProcessStdoutLog, readProcessStdoutLog and readLog with
supervisor's own readFile/tailFile on a real file, and fails the way
supervisord 4.3 does: a decoding error inside system.multicall is a FAILED
fault (with the position for tail, without it for read*Log), and a control
character makes the whole answer unparseable.
"""

import random
import re

import pytest
from supervisor.options import readFile, tailFile

from ansible_collections.supervisor.control.plugins.module_utils import client
from ansible_collections.supervisor.control.plugins.module_utils import log_reader as logs
from ansible_collections.supervisor.control.plugins.module_utils.errors import (
    SupervisorFault,
    UnparseableAnswer,
)

XML_ILLEGAL = re.compile(u'[\x00-\x08\x0b\x0c\x0e-\x1f]')


class FakeClient(object):
    def __init__(self, path):
        self.path = path
        self.calls = []
        self.bytes_sent = 0

    def _value(self, method, params):
        if method.startswith('supervisor.tail'):
            offset, length = params[1:]
            try:
                return tailFile(self.path, offset, length)
            except UnicodeDecodeError as exc:
                return SupervisorFault(30, 'FAILED: %s:%s' % (type(exc), exc), method)
        if method == 'supervisor.readLog':
            offset, length = params
        else:
            offset, length = params[1:]
        try:
            data = readFile(self.path, offset, length)
            return data.decode('utf-8')
        except ValueError as exc:
            if isinstance(exc, UnicodeDecodeError):
                return SupervisorFault(30, "FAILED: <class 'AttributeError'>:type object 'Faults' "
                                           "has no attribute 'utf-8'", method)
            return SupervisorFault(3, 'BAD_ARGUMENTS', method)

    def multicall(self, calls, lenient=False):
        results = []
        for method, params in calls:
            self.calls.append((method, list(params)))
            value = self._value(method, list(params))
            text = value[0] if isinstance(value, list) else value
            if isinstance(text, str):
                if XML_ILLEGAL.search(text):
                    if not lenient:
                        raise UnparseableAnswer(
                            'not a supervisord XML-RPC endpoint: unix:///x answered HTTP 200 with a body that is '
                            'not XML-RPC (10 bytes)', multicall_answer([value]))
                    # What the real client's lenient parse makes of supervisord's answer.
                    value = client.parse_answer(multicall_answer([value]), lenient=True)[0][0]
                self.bytes_sent += len(text.encode('utf-8'))
            results.append(value)
        return results


def expected_text(data):
    return XML_ILLEGAL.sub(u'\ufffd', data.decode('utf-8', 'replace'))


def expected_tail(data, count):
    return u''.join(logs.split_lines(expected_text(data))[-count:])


@pytest.fixture
def log(tmp_path):
    path = tmp_path / 'x.log'

    def make(data, main=False):
        path.write_bytes(data)
        client = FakeClient(str(path))
        if main:
            source = logs.MainLog(client)
        else:
            source = logs.ProcessLog(client, 'g:p', 'stdout', label='p')
        source.lenient = False  # test the splitting fallback, not the lenient parse
        return source
    return make


PIECES = [b'plain ascii text', b'\n', b'\n', b'caf\xc3\xa9', b'\xe4\xb8\xad\xe6\x96\x87', b'\xf0\x9f\x98\x80',
          b'\xff', b'\xc3', b'\x80\x80', b'\xe4\xb8', b'\x1b[31mred\x1b[0m', b'\x00', b'\t', b'x' * 40]


def random_log(rng, size):
    out = []
    while sum(len(p) for p in out) < size:
        out.append(rng.choice(PIECES))
    return b''.join(out)


def test_split_lines():
    assert logs.split_lines(u'a\nb\n') == [u'a\n', u'b\n']
    assert logs.split_lines(u'a\nb') == [u'a\n', u'b']
    assert logs.split_lines(u'') == []
    assert logs.split_lines(u'\n\n') == [u'\n', u'\n']


def test_decode_failure_positions():
    fault = SupervisorFault(30, "FAILED: <class 'UnicodeDecodeError'>:'utf-8' codec can't decode byte 0xff in "
                                "position 12: invalid start byte")
    assert logs.decode_failure(fault).span == (12, 13)
    fault = SupervisorFault(30, "FAILED: <class 'UnicodeDecodeError'>:'utf-8' codec can't decode bytes in "
                                "position 3-4: unexpected end of data")
    assert logs.decode_failure(fault).span == (3, 5)
    lost = SupervisorFault(30, "FAILED: <class 'AttributeError'>:type object 'Faults' has no attribute 'utf-8'")
    assert logs.decode_failure(lost).span is None
    assert logs.decode_failure(SupervisorFault(30, 'FAILED: something else')) is None
    assert logs.decode_failure(SupervisorFault(20, 'NO_FILE: /x')) is None


def test_tail_of_clean_log(log):
    data = b''.join(b'line %d\n' % i for i in range(1000))
    assert logs.tail_lines(log(data), 3) == u'line 997\nline 998\nline 999\n'
    assert logs.tail_lines(log(data), 5000) == data.decode()
    assert logs.tail_lines(log(b'no newline at end\nlast'), 1) == u'last'
    assert logs.tail_lines(log(b''), 10) == u''
    assert logs.tail_lines(log(b'x' * 100000 + b'\nend\n'), 1) == u'end\n'


@pytest.mark.parametrize('seed', range(40))
def test_tail_matches_python_decoding(log, seed):
    rng = random.Random(seed)
    data = random_log(rng, rng.choice([50, 400, 3000]))
    count = rng.choice([1, 2, 5, 20, 1000])
    window = rng.choice([None, 7, 31, 256])
    assert logs.tail_lines(log(data), count, window=window) == expected_tail(data, count)


@pytest.mark.parametrize('seed', range(40))
def test_slices_match_python_decoding(log, seed):
    rng = random.Random(1000 + seed)
    data = random_log(rng, 600)
    source = log(data)
    offset = rng.randrange(0, len(data))
    length = rng.choice([0, rng.randrange(1, 200)])
    got = logs.read_slice(source, offset, length)
    end = len(data) if not length else offset + length
    want = expected_text(data[offset:end])
    if end >= len(data):
        assert got == want  # tail reads say where bad bytes are: exact
    else:
        # read*Log does not say where; a truncated sequence may give one U+FFFD per byte
        collapse = re.compile(u'\ufffd+')
        assert collapse.sub(u'\ufffd', got) == collapse.sub(u'\ufffd', want)
    assert logs.read_slice(source, -50, 0) == expected_text(data[-50:])


def test_slice_semantics_follow_supervisord(log, tmp_path):
    data = bytes(range(32, 127)) * 10
    source = log(data)
    path = str(tmp_path / 'x.log')
    for offset, length in [(0, 0), (5, 10), (900, 0), (940, 100), (5000, 0), (5000, 3), (-20, 0), (-5000, 0)]:
        assert logs.read_slice(source, offset, length) == readFile(path, offset, length).decode(), (offset, length)


@pytest.mark.parametrize('offset, length, message', [
    (-10, 5, 'a negative offset (-10: the last 10 bytes) needs length 0'),
    (0, -1, 'length must be 0 (to the end) or more, got -1'),
])
def test_bad_slices(log, offset, length, message):
    with pytest.raises(logs.LogError) as caught:
        logs.read_slice(log(b'abc'), offset, length)
    assert str(caught.value) == message


def test_huge_slice_is_refused(log):
    source = log(b'x' * 10)
    source.size = lambda: logs.MAX_WINDOW * 2
    with pytest.raises(logs.LogError) as caught:
        logs.read_slice(source, 0, 0)
    assert str(caught.value) == (
        'the slice of p is 33554432 bytes: a lookup reads at most 16777216; give a smaller length')


def test_cost_depends_on_lines_not_on_size(log, tmp_path):
    small = b''.join(b'small line %d\n' % i for i in range(60))
    big_path = tmp_path / 'big.log'
    with open(str(big_path), 'wb') as handle:
        handle.truncate(200 * 1024 * 1024)  # sparse: 200 MiB of NUL bytes, then lines
        handle.seek(0, 2)
        handle.write(b'filler line\n' * 10000 + small)
    costs = []
    for data_path in (None, big_path):
        if data_path is None:
            source = log(b'filler line\n' * 10000 + small)  # 120 KB
        else:
            source = logs.ProcessLog(FakeClient(str(data_path)), 'g:p', 'stdout')
            source.lenient = False
        assert logs.tail_lines(source, 50) == u''.join(logs.split_lines(small.decode())[-50:])
        costs.append((len(source.client.calls), source.client.bytes_sent))
    assert costs[0] == costs[1]
    assert costs[0][0] <= 3 and costs[0][1] <= 50 * logs.BYTES_PER_LINE_GUESS


def test_tail_restarts_when_the_log_grows(log, tmp_path):
    source = log(b'one\ntwo\n')
    real_read = source.read
    grown = []

    def read(offset, length, size):
        if not grown:
            grown.append(True)
            with open(source.client.path, 'ab') as handle:
                handle.write(b'three\n')
        return real_read(offset, length, size)
    source.read = read
    assert logs.tail_lines(source, 2) == u'two\nthree\n'


def test_main_log_size_and_tail(log):
    data = b''.join(b'2026-01-01 INFO message %d\n' % i for i in range(3000))
    source = log(data, main=True)
    assert source.size() == len(data)
    assert logs.tail_lines(source, 2) == u'2026-01-01 INFO message 2998\n2026-01-01 INFO message 2999\n'
    assert log(b'', main=True).size() == 0
    assert log(b'a', main=True).size() == 1
    weird = b'ok\n\x1b[1m bold \xff\n' * 50
    assert logs.tail_lines(log(weird, main=True), 3) == expected_tail(weird, 3)


def test_lines_must_be_positive(log):
    with pytest.raises(logs.LogError) as caught:
        logs.tail_lines(log(b'x'), 0)
    assert str(caught.value) == 'lines must be 1 or more, got 0'


def test_many_unreadable_bytes_stay_bounded(log):
    data = b'start\n' + b'\x00' * 20000 + b'\nlast line\n'
    source = log(data)
    text = logs.read_slice(source, 0, 0)
    # The end gets the call budget first; past it, each piece of up to 256 bytes that does not read is one
    # U+FFFD: 'start' shares such a piece with NUL bytes, and goes with them.
    assert text == u'\ufffd' * 1353 + u'\nlast line\n'
    assert len(source.client.calls) < logs.FALLBACK_CALLS + 4 * len(data) // logs.COARSE_PIECE + 20
    assert logs.tail_lines(log(data), 1) == u'last line\n'


def multicall_answer(values):
    """What supervisord sends: xmlrpc.client.dumps, which leaves control characters raw."""
    import xmlrpc.client
    return xmlrpc.client.dumps((values,), methodresponse=True).encode('utf-8')


def test_control_characters_are_read_in_the_same_request(tmp_path):
    path = tmp_path / 'ansi.log'
    path.write_bytes(b'\x1b[31mred\x1b[0m nul:\x00 end\n')
    fake = FakeClient(str(path))
    text = logs.read_slice(logs.ProcessLog(fake, 'g:p', 'stdout', label='p'), 0, 0)
    assert text == u'\x1b[31mred\x1b[0m nul:\x00 end\n'
    # one call that sizes the log, one that reads it: no second request for the same bytes
    assert fake.calls == [('supervisor.tailProcessStdoutLog', ['g:p', 0, 0]),
                          ('supervisor.tailProcessStdoutLog', ['g:p', 0, 23])]
