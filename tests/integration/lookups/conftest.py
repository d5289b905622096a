"""The daemon for the lookup tests: programs whose logs the tests know."""

import os
import sys

import pytest

from tests.support.supervisord import SLEEPER, Supervisord, wait_for_text

BIG_LOG_BYTES = 400 * 1024 * 1024
BIG_TAIL_LINES = 5000

TALKER = r'''
import sys, time
for i in range(300):
    sys.stdout.write('out line %d\n' % i)
    sys.stderr.write('err line %d\n' % i)
sys.stdout.write('out done\n')
sys.stderr.write('err done\n')
sys.stdout.flush(); sys.stderr.flush()
time.sleep(100000)
'''

BINARY = r'''
import sys, time
sys.stdout.buffer.write(BINARY_BYTES)
sys.stdout.flush()
time.sleep(100000)
'''
BINARY_BYTES = (b'caf\xc3\xa9 \xe4\xb8\xad\xe6\x96\x87 \xf0\x9f\x98\x80\n'
                b'bad \xff\xfe bytes \xc3(\n'
                b'\x1b[31mred\x1b[0m\n'
                b'nul \x00 here\n'
                b'progress 1%\rprogress 100%\r\n'
                b'last\n')


def _script(directory, name, body):
    path = os.path.join(directory, name)
    with open(path, 'w') as handle:
        handle.write(body.replace('BINARY_BYTES', repr(BINARY_BYTES)))
    return '%s -u %s' % (sys.executable, path)


def make_big_log(path):
    """A sparse log of BIG_LOG_BYTES, then BIG_TAIL_LINES real lines: instant to create, no disk used."""
    with open(path, 'wb') as handle:
        handle.truncate(BIG_LOG_BYTES)
        handle.seek(0, 2)
        handle.write(b''.join(b'big line %d\n' % i for i in range(BIG_TAIL_LINES)))
    return os.path.getsize(path)


@pytest.fixture(scope='module')
def log_daemon(tmp_path_factory):
    directory = str(tmp_path_factory.mktemp('lookups'))
    logdir = os.path.join(directory, 'logs')
    os.makedirs(logdir)
    big = os.path.join(logdir, 'big.out')
    programs = {
        'talker': dict(command=_script(directory, 'talker.py', TALKER), startsecs=0),
        'binary': dict(command=_script(directory, 'binary.py', BINARY), startsecs=0),
        # Writes nothing: its log is the big file the test made, never rotated.
        'big': dict(command=SLEEPER, startsecs=0, stdout_logfile=big, stdout_logfile_maxbytes=0),
        'nolog': dict(command=SLEEPER, startsecs=0, stdout_logfile='NONE'),
        'redir': dict(command="sh -c 'echo to-stdout; echo to-stderr >&2; exec sleep 100000'", startsecs=0,
                      redirect_stderr=True),
        'late': dict(command=SLEEPER, autostart=False, startsecs=0),
        'slow': dict(command=SLEEPER, autostart=False, startsecs=2),
        'web_a': dict(command=SLEEPER, startsecs=0),
        'web_b': dict(command=SLEEPER, startsecs=0),
        'worker': dict(command=SLEEPER, numprocs=2, process_name='%(program_name)s_%(process_num)d',
                       startsecs=0),
    }
    daemon = Supervisord(directory, programs=programs, groups={'web': ['web_a', 'web_b']})
    daemon.big_log = big
    try:
        daemon.big_log_size = make_big_log(big)
        daemon.start()
        wait_for_text(os.path.join(logdir, 'talker_0.out'), b'out done\n')
        wait_for_text(os.path.join(logdir, 'talker_0.err'), b'err done\n')
        wait_for_text(os.path.join(logdir, 'binary_0.out'), b'last\n')
        wait_for_text(os.path.join(logdir, 'redir_0.out'), b'to-stderr\n')
        yield daemon
    finally:
        daemon.cleanup()
        if os.path.exists(big):
            os.unlink(big)
