"""The log and state lookups against a real supervisord, through real ansible-playbook.

Lookups are grouped in few playbook runs (each costs about 2 s); every
failing input has its own task with ignore_errors, and its one-line message
is checked.
"""

import os
import re
import subprocess

import pytest

from tests.integration.lookups.conftest import BIG_TAIL_LINES, BINARY_BYTES
from tests.support.ansible import ansible_core_version, ansible_env, assert_lookup_failed, run_playbook
from tests.support.paths import VENV_BIN
from tests.support.supervisord import config_fields, supervisor_version

# Runs against every tested supervisord release too (tests/compat/releases.py): the behaviour it checks differs.
pytestmark = pytest.mark.releases

LOG = "lookup('supervisor.control.log', %s)"
QLOG = "query('supervisor.control.log', %s)"
STATE = "lookup('supervisor.control.state', %s)"
QSTATE = "query('supervisor.control.state', %s)"


IGNORED = set()
PLUGIN_OF = {}  # failing task -> the lookup plugin its expression calls


def facts(**exprs):
    return dict((name, '{{ %s }}' % expr) for name, expr in exprs.items())


def failing(name, expr):
    IGNORED.add(name)
    PLUGIN_OF[name] = expr.split("'")[1]
    return {'name': name, 'ansible.builtin.debug': {'msg': '{{ %s }}' % expr}, 'ignore_errors': True}


def message(run, task):
    result = run.task(task)
    assert result['status'] == 'failed', result
    msg = result['result']['msg']
    assert '\n' not in msg and 'Traceback' not in msg, msg
    return msg


def assert_fails(run, task, expected):
    """The task failed with exactly ``expected`` from its lookup plugin (ansible words the context before it)."""
    assert_lookup_failed(message(run, task), PLUGIN_OF[task], expected)


def invalid_choice(value, option, plugin, choices):
    """ansible-core's own message for a value outside an option's choices (2.16 and 2.19 word it differently)."""
    path = 'ansible_collections.supervisor.control.plugins.lookup.' + plugin
    if ansible_core_version() >= (2, 19):
        return "Invalid value '%s' for config '%s' for '%s' lookup plugin." % (value, option, path)
    return ('Invalid value "%s" for configuration option "plugin_type: lookup plugin: %s setting: %s ", '
            'valid values are: %s' % (value, path, option, ', '.join(choices)))


def lines(prefix, first, last):
    return ''.join('%s %d\n' % (prefix, i) for i in range(first, last + 1))


def expected_binary():
    # control characters (ESC, NUL) come through as they are; invalid UTF-8 as U+FFFD
    return BINARY_BYTES.decode('utf-8', 'replace')


# --------------------------------------------------------------------------
# One playbook with everything that works, one with everything that fails.
# --------------------------------------------------------------------------

@pytest.fixture(scope='module')
def good_run(log_daemon, tmp_path_factory):
    tasks = [
        {'name': 'logs', 'ansible.builtin.set_fact': facts(
            out3=LOG % "'talker', lines=3",
            err3=LOG % "'talker', stream='stderr', lines=3",
            out_default=LOG % "'talker'",
            out_all=LOG % "'talker', lines=100000",
            explicit_url=LOG % "'talker', lines=1, server_url=url",
            two=QLOG % "'talker', 'talker:talker', stream='stderr', lines=1",
            head=LOG % "'talker', offset=0, length=22",
            middle=LOG % "'talker', offset=11, length=11",
            length_only=LOG % "'talker', length=11",
            last_bytes=LOG % "'talker', offset=-18",
            past_end=LOG % "'talker', offset=100000000",
            binary=LOG % "'binary', lines=10",
            binary_slice=LOG % "'binary', offset=0, length=0",
            binary_last=LOG % "'binary', lines=1",
            big=LOG % "'big', lines=50",
            big_last_bytes=LOG % "'big', offset=-14",
            big_head=LOG % "'big', offset=0, length=4",
            redirected=LOG % "'redir', lines=2",
            nolog_stderr=LOG % "'nolog', stream='stderr'",
            never_started=LOG % "'late'",
            main=LOG % 'main=true, lines=200',
        )},
        {'name': 'states', 'ansible.builtin.set_fact': facts(
            everything=QSTATE % '',
            web=QSTATE % "'web:*'",
            one=STATE % "'talker'",
            one_list=QSTATE % "'talker'",
            globbed=QSTATE % "'worker:worker_*', 'web'",
            daemon=STATE % "what='supervisord'",
            config=QSTATE % "'web:*', what='config'",
            from_list=QSTATE % "['talker', 'web:web_b']",
            logs_from_list=QLOG % "['talker', 'redir'], lines=1",
        )},
        {'name': 'assert web runs', 'ansible.builtin.assert': {'that': [
            STATE % "'web:*'" + " | map(attribute='statename') | unique == ['RUNNING']",
            "(" + QSTATE % "'talker'" + " | first).statename == 'RUNNING'",
        ]}},
        {'name': 'start slow without waiting', 'supervisor.control.process': {
            'name': 'slow', 'state': 'started', 'wait': False}},
        # delay in whole seconds: ansible-core 2.16 reads it as an integer (0.5 would be 0).
        {'name': 'wait for slow', 'ansible.builtin.debug': {'msg': 'slow runs'},
         'retries': 20, 'delay': 1,
         'until': "(" + QSTATE % "'slow'" + " | first).statename == 'RUNNING'"},
        {'name': 'assert slow runs', 'ansible.builtin.assert': {'that': [
            "(" + QSTATE % "'slow'" + " | first).statename == 'RUNNING'"]}},
    ]
    run = run_playbook(tasks, tmp_path_factory.mktemp('good'), vars={'url': log_daemon.server_url},
                       extra_env={'SUPERVISOR_SERVER_URL': log_daemon.server_url})
    assert run.returncode == 0, [r for r in run.results if r['status'] == 'failed' and r['task'] not in IGNORED]
    return run


def test_last_lines_of_stdout_and_stderr(good_run):
    got = good_run.result('logs')['ansible_facts']
    assert got['out3'] == 'out line 298\nout line 299\nout done\n'
    assert got['err3'] == 'err line 298\nerr line 299\nerr done\n'
    assert got['out_default'] == lines('out line', 201, 299) + 'out done\n'
    assert got['out_all'] == lines('out line', 0, 299) + 'out done\n'
    assert got['explicit_url'] == 'out done\n'
    assert got['two'] == ['err done\n', 'err done\n']


def test_byte_slices_follow_supervisord(good_run):
    got = good_run.result('logs')['ansible_facts']
    assert got['head'] == 'out line 0\nout line 1\n'
    assert got['middle'] == 'out line 1\n'
    assert got['length_only'] == 'out line 0\n'
    assert got['last_bytes'] == 'out line 299\nout done\n'[-18:]
    assert got['past_end'] == ''


def test_non_utf8_bytes_are_replaced(good_run):
    got = good_run.result('logs')['ansible_facts']
    assert got['binary'] == expected_binary()
    assert got['binary_slice'] == expected_binary()
    assert got['binary_last'] == 'last\n'


def test_big_log_tail(good_run, log_daemon):
    got = good_run.result('logs')['ansible_facts']
    assert log_daemon.big_log_size > 300 * 1024 * 1024
    assert got['big'] == lines('big line', BIG_TAIL_LINES - 50, BIG_TAIL_LINES - 1)
    assert got['big_last_bytes'] == 'big line %d\n' % (BIG_TAIL_LINES - 1)
    assert got['big_head'] == '\x00' * 4  # the sparse start


def test_redirected_unconfigured_and_missing_logs(good_run):
    got = good_run.result('logs')['ansible_facts']
    assert got['redirected'] == 'to-stdout\nto-stderr\n'
    assert got['nolog_stderr'] == ''
    assert got['never_started'] == ''


def test_main_log(good_run):
    main = good_run.result('logs')['ansible_facts']['main']
    assert 'supervisord started with pid' in main
    assert "success: talker entered RUNNING state" in main


def test_state_returns_process_dicts(good_run, log_daemon):
    got = good_run.result('states')['ansible_facts']
    infos = log_daemon.rpc('supervisor.getAllProcessInfo')
    assert [p['fullname'] for p in got['everything']] == [
        i['name'] if i['name'] == i['group'] else '%s:%s' % (i['group'], i['name']) for i in infos]
    assert [p['fullname'] for p in got['web']] == ['web:web_a', 'web:web_b']
    assert got['one']['fullname'] == 'talker' and got['one']['statename'] == 'RUNNING'
    assert got['one']['pid'] == log_daemon.info('talker')['pid']
    assert set(got['one']) >= {'name', 'group', 'fullname', 'statename', 'state', 'pid', 'description',
                               'start', 'stop', 'exitstatus', 'spawnerr', 'stdout_logfile', 'stderr_logfile'}
    # Two lookups a moment apart: the same process, but the uptime in 'description' may have ticked.
    without_uptime = [dict((k, v) for k, v in proc.items() if k != 'description')
                      for proc in got['one_list'] + [got['one']]]
    assert without_uptime[:-1] == without_uptime[-1:]
    globbed = ['web:web_a', 'web:web_b', 'worker:worker_0', 'worker:worker_1']
    assert [p['fullname'] for p in got['globbed']] == globbed
    daemon = got['daemon']
    assert daemon['state'] == 'RUNNING' and daemon['statecode'] == 1
    assert daemon['identification'] == 'test-supervisor'
    assert daemon['version'] == log_daemon.rpc('supervisor.getSupervisorVersion')
    assert daemon['pid'] == log_daemon.proc.pid
    assert daemon['server_url'] == log_daemon.server_url
    assert [c['fullname'] for c in got['config']] == ['web:web_a', 'web:web_b']
    assert got['config'][0]['inuse'] is True
    assert set(got['config'][0]) == config_fields() | {'fullname'}  # what RETURN says each release gives
    if 'command' in config_fields():
        assert got['config'][0]['command'] == 'sleep 100000'
    assert [p['fullname'] for p in got['from_list']] == ['talker', 'web:web_b']
    assert got['logs_from_list'] == ['out done\n', 'to-stderr\n']


def test_state_in_assert_and_until(good_run):
    assert good_run.task('assert web runs')['status'] == 'ok'
    waited = good_run.task('wait for slow')
    assert waited['status'] == 'ok' and waited['result']['attempts'] >= 1
    assert good_run.task('assert slow runs')['status'] == 'ok'


@pytest.fixture(scope='module')
def bad_run(log_daemon, tmp_path_factory):
    tasks = [
        failing('unknown log', LOG % "'nosuch'"),
        failing('unknown state', STATE % "'web:nosuch'"),
        {'name': 'unknown module', 'supervisor.control.process': {'name': 'web:nosuch', 'state': 'started'},
         'ignore_errors': True},
        failing('unknown log glob', LOG % "'zz*'"),
        failing('ambiguous', LOG % "'worker'"),
        failing('no stdout log', LOG % "'nolog'"),
        failing('no stderr log', LOG % "'redir', stream='stderr'"),
        failing('bad stream', LOG % "'talker', stream='both'"),
        failing('zero lines', LOG % "'talker', lines=0"),
        failing('lines and offset', LOG % "'talker', lines=5, offset=0"),
        failing('negative offset with length', LOG % "'talker', offset=-5, length=3"),
        failing('negative length', LOG % "'talker', offset=0, length=-1"),
        failing('main with terms', LOG % "'talker', main=true"),
        failing('main stderr', LOG % "main=true, stream='stderr'"),
        failing('no terms', LOG % ''),
        failing('empty term', LOG % "''"),
        failing('number term', LOG % '42'),
        failing('supervisord with terms', STATE % "'talker', what='supervisord'"),
        failing('bad what', STATE % "what='everything'"),
        failing('unreachable', STATE % "server_url='http://127.0.0.1:1'"),
        failing('malformed url', LOG % "'talker', server_url='ftp://example.com'"),
        failing('missing config', STATE % "config='/nonexistent/supervisord.conf'"),
        failing('loose validate_certs', STATE % "'talker', validate_certs='maybe'"),
        failing('loose main', LOG % "main='sometimes'"),
    ]
    run = run_playbook(tasks, tmp_path_factory.mktemp('bad'),
                       extra_env={'SUPERVISOR_SERVER_URL': log_daemon.server_url})
    assert run.returncode == 0, [r for r in run.results if r['status'] == 'failed' and r['task'] not in IGNORED]
    return run


def test_unknown_names_fail_like_the_modules(bad_run):
    module_msg = bad_run.result('unknown module')['msg']
    assert module_msg == "no process matches 'web:nosuch'; closest names: web:*"
    assert_fails(bad_run, 'unknown state', module_msg)
    assert_fails(bad_run, 'unknown log', "no process matches 'nosuch'; the daemon has no such name")
    assert_fails(bad_run, 'unknown log glob', "no process matches 'zz*'; the daemon has no such name")


def test_log_errors(bad_run):
    assert_fails(bad_run, 'ambiguous', "'worker' matches 2 processes (worker:worker_0, worker:worker_1): "
                                       "the log lookup reads one process per term")
    assert_fails(bad_run, 'no stdout log', 'nolog has no stdout log to read (stdout_logfile=NONE)')
    if supervisor_version() < (3, 2, 0):
        # Before 3.2.0 supervisord still makes an (empty) stderr log with redirect_stderr=true (docs/lookups.md).
        assert (bad_run.task('no stderr log')['status'], bad_run.task('no stderr log')['result']['msg']) == ('ok', '')
    else:
        assert_fails(bad_run, 'no stderr log', 'redir has no stderr log to read (stderr_logfile=NONE, or '
                                               'redirect_stderr=true sends stderr to the stdout log)')
    assert_fails(bad_run, 'bad stream', invalid_choice('both', 'stream', 'log', ['stdout', 'stderr']))
    assert_fails(bad_run, 'zero lines', 'lines must be 1 or more, got 0')
    assert_fails(bad_run, 'lines and offset', 'lines cannot be combined with offset or length: give either '
                                              'the last lines or a byte slice')
    assert_fails(bad_run, 'negative offset with length', 'a negative offset (-5: the last 5 bytes) needs length 0')
    assert_fails(bad_run, 'negative length', 'length must be 0 (to the end) or more, got -1')
    assert_fails(bad_run, 'main with terms', "main=true reads supervisord's own log and takes no terms, got talker")
    assert_fails(bad_run, 'main stderr', "main=true reads supervisord's own log, which has no stderr stream")
    assert_fails(bad_run, 'no terms', 'give at least one process spec, such as web:worker, or main=true')
    assert_fails(bad_run, 'empty term', "a term must be a non-empty process spec, got ''")
    assert_fails(bad_run, 'number term', 'a term must be a non-empty process spec, got 42')


def test_state_and_connection_errors(bad_run):
    assert_fails(bad_run, 'supervisord with terms', 'what=supervisord takes no terms, got talker')
    assert_fails(bad_run, 'bad what', invalid_choice('everything', 'what', 'state', [
        'processes', 'supervisord', 'config', 'applications', 'instances']))
    assert_fails(bad_run, 'unreachable', 'connection refused by http://127.0.0.1:1/RPC2: is supervisord running with '
                                         'an [inet_http_server] on that address and port?')
    assert_fails(bad_run, 'malformed url', "malformed server_url 'ftp://example.com': expected "
                                           "unix:///path/to/supervisor.sock, http://host:port or https://host:port")
    assert_fails(bad_run, 'missing config', 'supervisord config file /nonexistent/supervisord.conf does not exist')


def test_a_boolean_that_is_none_is_refused(bad_run):
    """Not read as false, as Ansible reads a plugin option: validate_certs='maybe' would not check the certificate."""
    assert_fails(bad_run, 'loose validate_certs', "validate_certs must be a boolean (true or false), got 'maybe'")
    assert_fails(bad_run, 'loose main', "main must be a boolean (true or false), got 'sometimes'")


# --------------------------------------------------------------------------
# Basic auth over http://127.0.0.1
# --------------------------------------------------------------------------

def test_basic_auth_over_http(auth_daemon, tmp_path):
    good = {'url': auth_daemon.http_url, 'user': 'admin', 'pw': auth_daemon.password, 'wrong': 'Wr0ng-pa55word'}
    auth = "server_url=url, username=user, password=pw"
    tasks = [
        {'name': 'with auth', 'ansible.builtin.set_fact': facts(
            log=LOG % ("'echo', " + auth),
            state=STATE % ("'echo', " + auth),
            daemon=STATE % ("what='supervisord', " + auth),
            main=LOG % ('main=true, lines=5, ' + auth),
            embedded=LOG % "'echo', server_url='http://' + user + ':' + pw + '@127.0.0.1:' + url.split(':')[-1]",
        )},
        failing('wrong password', STATE % "server_url=url, username=user, password=wrong"),
        failing('no password', LOG % "'echo', server_url=url"),
        failing('wrong embedded password',
                STATE % "server_url='http://admin:' + wrong + '@127.0.0.1:' + url.split(':')[-1]"),
    ]
    run = run_playbook(tasks, tmp_path, vars=good, verbosity=3)
    assert run.returncode == 0, [r for r in run.results if r['status'] == 'failed' and r['task'] not in IGNORED]
    got = run.result('with auth')['ansible_facts']
    assert got['log'] == 'hello-from-auth\n' and got['embedded'] == 'hello-from-auth\n'
    assert got['state']['statename'] == 'RUNNING'
    assert got['daemon']['server_url'] == auth_daemon.http_url + '/RPC2'
    assert 'supervisord started with pid' in got['main']
    denied = 'authentication failed for %s/RPC2 (HTTP 401): check username and password' % auth_daemon.http_url
    assert_fails(run, 'wrong password', denied)
    assert_fails(run, 'no password', denied)
    assert_fails(run, 'wrong embedded password', denied)
    for secret in (auth_daemon.password, good['wrong']):
        assert secret not in run.output  # at -vvv, with exception details
        assert secret not in repr(run.results)


def test_connection_from_environment(auth_daemon, tmp_path):
    env = {'SUPERVISOR_SERVER_URL': auth_daemon.http_url, 'SUPERVISOR_USERNAME': 'admin',
           'SUPERVISOR_PASSWORD': auth_daemon.password}
    run = run_playbook([{'name': 'env', 'ansible.builtin.set_fact': facts(
        log=LOG % "'echo'", names=QSTATE % '' + " | map(attribute='fullname')")}], tmp_path, extra_env=env)
    assert run.returncode == 0, [r for r in run.results if r['status'] == 'failed' and r['task'] not in IGNORED]
    assert run.result('env')['ansible_facts'] == {'log': 'hello-from-auth\n', 'names': ['echo', 'idle']}
    assert auth_daemon.password not in run.output


# --------------------------------------------------------------------------
# Documentation
# --------------------------------------------------------------------------

CONNECTION = ['ca_path', 'config', 'password', 'server_url', 'timeout', 'username', 'validate_certs']


@pytest.mark.parametrize('plugin, options, example', [
    ('supervisor.control.log', ['_terms', 'length', 'lines', 'main', 'offset', 'stream'],
     "lookup('supervisor.control.log', main=true, lines=20)"),
    ('supervisor.control.state', ['_terms', 'what'], "until: (query('supervisor.control.state', "),
])
def test_ansible_doc_renders(plugin, options, example):
    proc = subprocess.run([os.path.join(VENV_BIN, 'ansible-doc'), '-t', 'lookup', plugin], env=ansible_env(),
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    assert 'WARNING' not in proc.stderr.upper(), proc.stderr
    # ansible-doc's text: top-level section headers at column 0, each option as '- name  description'
    sections = dict(re.findall(r'^([A-Z][A-Z ]+)\b[^\n]*:\n(.*?)(?=^[A-Z]|\Z)', proc.stdout, re.M | re.S))
    assert re.findall(r'^- (\S+)  ', sections['OPTIONS'], re.M) == sorted(options + CONNECTION), proc.stdout
    assert example in sections['EXAMPLES'], sections['EXAMPLES']
