"""rolling_plans.py, pure: Ansible's serial arithmetic, batches, templates, the options' checks."""

import pytest
from hypothesis import given, settings, strategies as st

from tests.support.paths import ensure_collection_link

ensure_collection_link()
from ansible.executor.playbook_executor import PlaybookExecutor  # noqa: E402

from ansible_collections.supervisor.control.plugins.module_utils import plans  # noqa: E402
from ansible_collections.supervisor.control.plugins.module_utils import rolling_plans  # noqa: E402


# --- the serial arithmetic, against Ansible's documented examples ---------------------------------
# docs/docsite/rst/playbook_guide/playbooks_strategies.rst, "Setting the batch size with serial".

@pytest.mark.parametrize('size, total, sizes', [
    (3, 6, [3, 3]),                          # "if we had 6 hosts ... on 3 of the hosts before ... the next 3"
    ('30%', 20, [6, 6, 6, 2]),               # "20 hosts ... 6 ... 6 ... 6 ... and the last batch would contain 2"
    ([1, 5, 10], 30, [1, 5, 10, 10, 4]),     # "a single host, the next ... 5 ... either 10 hosts or all the remaining"
    (['10%', '20%', '100%'], 20, [2, 4, 14]),  # percentages of the total, the last takes the rest
    ([1, 5, '20%'], 20, [1, 5, 4, 4, 4, 2]),  # "mix and match the values"
    ('1%', 20, [1] * 20),                    # "the number of hosts per pass will always be 1 or greater"
], ids=str)
def test_serial_sizes_are_those_of_ansibles_documented_examples(size, total, sizes):
    assert rolling_plans.serial_sizes(rolling_plans.size_values(size), total) == sizes


class _Inventory(object):
    def __init__(self, hosts):
        self.hosts = hosts

    def get_hosts(self, pattern, order=None):
        return list(self.hosts)


class _Play(object):
    hosts = 'all'
    order = None

    def __init__(self, serial):
        self.serial = serial


def ansible_batches(serial, total):
    """What ansible-core's own PlaybookExecutor._get_serialized_batches cuts ``total`` hosts into."""
    executor = PlaybookExecutor.__new__(PlaybookExecutor)
    executor._inventory = _Inventory(range(total))
    return [len(batch) for batch in executor._get_serialized_batches(_Play(serial))]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.integers(1, 40), st.integers(0, 150).map(lambda p: '%d%%' % p)), min_size=1,
                max_size=4), st.integers(1, 120))
def test_serial_sizes_are_those_of_ansible_core_itself(serial, total):
    assert rolling_plans.serial_sizes(rolling_plans.size_values(serial), total) == ansible_batches(serial, total)


@pytest.mark.parametrize('size, message', [
    (0, 'rolling.size 0: give 1 or more processes, or a percentage such as "25%"'),
    (-2, 'rolling.size -2 is not a number of processes nor a percentage such as "25%"'),
    ('quarter', "rolling.size 'quarter' is not a number of processes nor a percentage such as \"25%\""),
    ([], 'rolling.size is an empty list: give a number of processes, a percentage such as "25%", or a list of them '
         'such as [1, "25%"]'),
    ([1, True], 'rolling.size True is not a number of processes nor a percentage such as "25%"'),
    ('25 %', "rolling.size '25 %' is not a number of processes nor a percentage such as \"25%\""),
], ids=str)
def test_a_size_that_is_none_is_refused_naming_it(size, message):
    with pytest.raises(ValueError) as raised:
        rolling_plans.size_values(size)
    assert str(raised.value) == message


# --- batches: down first, then supervisord's order ---------------------------------------------------

def info(name, statename='RUNNING', group='pool'):
    return {'group': group, 'name': name, 'statename': statename, 'pid': 10 if statename == 'RUNNING' else 0,
            'stdout_logfile': '/logs/%s.out' % name, 'stderr_logfile': ''}


def batches(plan):
    return [(b.fullnames, b.barrier) for b in plan.batches]


def test_a_restart_rolls_the_down_processes_first_together_then_the_rest_in_order():
    infos = [info('pool_1'), info('pool_2', 'FATAL'), info('pool_3'), info('pool_4', 'STOPPED'), info('pool_5'),
             info('pool_6'), info('pool_7', 'STOPPING')]
    plan = rolling_plans.plan_roll(plans.plan_processes(infos, 'restarted'), [2], len(infos))
    assert batches(plan) == [(['pool:pool_2', 'pool:pool_4', 'pool:pool_7'], True),
                             (['pool:pool_1', 'pool:pool_3'], True), (['pool:pool_5', 'pool:pool_6'], True)]
    assert plan.window is None


def test_a_percentage_is_of_the_whole_pool_and_a_start_throttles_only_what_is_down():
    infos = [info('pool_%d' % n, 'RUNNING' if n <= 4 else 'STOPPED') for n in range(1, 13)]
    plan = rolling_plans.plan_roll(plans.plan_processes(infos, 'started'), ['25%'], len(infos), down_first=False)
    # 25% of 12 is 3: the 8 stopped ones go 3, 3, 2; the running ones need nothing
    assert [len(b.actions) for b in plan.batches] == [3, 3, 2]
    assert plan.batches[0].fullnames == ['pool:pool_5', 'pool:pool_6', 'pool:pool_7']


def test_a_window_keeps_the_canary_values_as_barriers_and_the_last_as_its_width():
    infos = [info('pool_%d' % n) for n in range(1, 9)]
    plan = rolling_plans.plan_roll(plans.plan_processes(infos, 'restarted'), [1, '25%'], len(infos), window=True)
    assert batches(plan) == [(['pool:pool_1'], True), (['pool:pool_2', 'pool:pool_3'], False),
                             (['pool:pool_4', 'pool:pool_5'], False), (['pool:pool_6', 'pool:pool_7'], False),
                             (['pool:pool_8'], False)]
    assert plan.window == 2


def test_nothing_to_do_is_no_batch():
    plan = rolling_plans.plan_roll(plans.plan_processes([info('pool_1')], 'started'), [1], 1, down_first=False)
    assert plan.batches == [] and plan.actions == []


# --- templates -----------------------------------------------------------------------------------------

@pytest.mark.parametrize('name, number', [('pool_03', 3), ('web12', 12), ('web', None), ('w_1_x', None)])
def test_the_number_of_a_process_is_the_one_its_name_ends_with(name, number):
    assert rolling_plans.process_number(name) == number


def test_templates_render_name_group_and_num():
    assert rolling_plans.render('ready.url', 'http://{host}/{group}/{name}/{num:02d}', info('pool_3'),
                                host='h') == 'http://h/pool/pool_3/03'


@pytest.mark.parametrize('template, name, message', [
    ('80{num:02d}', 'web', "ready.port '80{num:02d}' for pool:web: its name ends with no number for {num}"),
    ('{nmu}', 'pool_1', "ready.port '{nmu}': unknown field {nmu}: use {group}, {name}, {num}"),
    ('{}', 'pool_1', "ready.port '{}' for pool:pool_1: Replacement index 0 out of range for positional args tuple"),
    ('{num:q}', 'pool_1', "ready.port '{num:q}' for pool:pool_1: Unknown format code 'q' for object of type 'int'"),
], ids=str)
def test_a_template_that_does_not_render_names_the_option_the_template_and_the_process(template, name, message):
    with pytest.raises(ValueError) as raised:
        rolling_plans.render('ready.port', template, info(name))
    assert str(raised.value) == message


# --- the checks of ready, for every process, before anything is done -------------------------------------

READY = dict(log=None, uptime=None, port=None, url=None, status_code=[200], host=None)


def test_ready_checks_render_each_process_and_default_the_host():
    checks = rolling_plans.ready_checks(dict(READY, log='ready on', port='90{num:02d}', url='/health'),
                                        [info('pool_1'), info('pool_12', group='web')], '10.0.0.5')
    assert [(spec, c.host, c.port, c.url, c.streams) for spec, c in sorted(checks.items())] == [
        ('pool:pool_1', '10.0.0.5', 9001, 'http://10.0.0.5:9001/health', ('stdout',)),
        ('web:pool_12', '10.0.0.5', 9012, 'http://10.0.0.5:9012/health', ('stdout',))]
    assert checks['pool:pool_1'].pattern.pattern == 'ready on'


def test_both_logs_are_read_when_stderr_has_its_own():
    check = rolling_plans.ready_checks(dict(READY, log='up'), [dict(info('a'), stderr_logfile='/logs/a.err')], 'h')
    assert check['pool:a'].streams == ('stdout', 'stderr')


@pytest.mark.parametrize('ready, infos, message', [
    (dict(READY, log='ready'), [info('pool_1'), dict(info('pool_2'), stdout_logfile='')],
     'ready.log needs the stdout log of pool:pool_2, but its stdout_logfile is NONE: supervisord keeps no log there '
     'to find the line in'),
    (dict(READY, port='80{num}'), [info('web')], "ready.port '80{num}' for pool:web: its name ends with no number "
                                                 "for {num}"),
    (dict(READY, port=70000), [info('pool_1')], 'ready.port 70000 for pool:pool_1 is not a TCP port (1 to 65535)'),
    (dict(READY, port='{name}'), [info('pool_1')], "ready.port '{name}' for pool:pool_1 is 'pool_1', not a TCP port "
                                                   "(1 to 65535)"),
    (dict(READY, url='/health'), [info('pool_1')], "ready.url '/health' is a path: give ready.port, or a whole URL"),
    (dict(READY, url='ftp://{host}/'), [info('pool_1')], "ready.url 'ftp://{host}/' for pool:pool_1 is "
                                                         "'ftp://h/': give an http:// or https:// URL, or a path "
                                                         "with ready.port"),
], ids=['no stdout log', 'no number', 'port out of range', 'port not a number', 'path without port', 'not http'])
def test_ready_checks_refuse_what_cannot_be_checked_naming_the_option_and_the_process(ready, infos, message):
    with pytest.raises(ValueError) as raised:
        rolling_plans.ready_checks(ready, infos, 'h')
    assert str(raised.value) == message


def params(**given):
    return dict(dict(state='restarted', wait=True, strategy=None, rolling=None, ready=None), **given)


ROLLING = dict(size=1, pause=0.0, window=False)


@pytest.mark.parametrize('given, message', [
    (dict(rolling=ROLLING, wait=False), 'rolling needs wait=true: a roll and a readiness check are waits'),
    (dict(ready=dict(READY, log='x'), wait=False), 'ready needs wait=true: a roll and a readiness check are waits'),
    (dict(rolling=ROLLING, state='stopped'), 'rolling needs state=restarted or state=started, got state=stopped'),
    (dict(ready=dict(READY, uptime=3), state='signalled'),
     'ready needs state=restarted or state=started, got state=signalled'),
    (dict(rolling=ROLLING, state='present'), 'rolling needs state=restarted or state=started, got state=present'),
    (dict(rolling=ROLLING, strategy='LOCAL'),
     'rolling cannot be used with strategy yet: Supvisors starts and stops processes across the cluster, where this '
     'module cannot roll them'),
    (dict(rolling=dict(ROLLING, pause=-1.0)), 'rolling.pause -1.0: give 0 or more seconds'),
    (dict(rolling=dict(ROLLING, size='half')),
     "rolling.size 'half' is not a number of processes nor a percentage such as \"25%\""),
    (dict(ready=dict(READY)), 'ready needs at least one of log, uptime, port, url (a process RUNNING is what the '
                              'task waits for without ready)'),
    (dict(ready=dict(READY, log='ready (on')),
     "ready.log 'ready (on' is not a regular expression: missing ), unterminated subpattern at position 6"),
    (dict(ready=dict(READY, uptime=0.0)), 'ready.uptime 0.0: give a number of seconds more than 0'),
    (dict(ready=dict(READY, log='x', host='db')),
     "ready.host 'db' is where port and url are probed: give ready.port or ready.url"),
    (dict(ready=dict(READY, port=80, status_code=[204])), 'ready.status_code [204] needs ready.url'),
    (dict(ready=dict(READY, url='/h', port=80, status_code=[200, 999])),
     'ready.status_code 999: HTTP status codes are 100 to 599'),
], ids=str)
def test_options_that_cannot_be_used_are_refused_in_one_line_naming_them(given, message):
    assert rolling_plans.check_roll_options(params(**given)) == message


def test_options_that_can_be_used_pass():
    assert rolling_plans.check_roll_options(params(rolling=dict(ROLLING, size=[1, '25%']),
                                                   ready=dict(READY, log='^ready', url='/h', port='80{num:02d}'))) is None
