"""The 3-host Supvisors cluster of test_cluster.py.

Applications (groups) on every host:

* ``web`` (managed, not started by Supvisors at start-up: application
  ``start_sequence`` 0): ``front`` may run on alpha, beta, gamma (in that
  order) and ``back`` on beta, gamma, alpha; so the CONFIG strategy puts
  front on alpha and back on beta, and LOCAL puts both on the host asked.
* ``auto`` (managed, start_sequence 1): ``ticker``, started by Supvisors when
  the cluster comes up, on alpha (CONFIG).
* ``broken`` (managed, not auto-started): ``crasher`` is required and exits
  at once, so starting ``broken`` fails.
* ``loose`` (no rules: not managed).
"""

HOSTS = ['alpha', 'beta', 'gamma']

SLEEP = 'sleep 100000'

PROGRAMS = {
    'front': {'command': SLEEP, 'autostart': False, 'startsecs': 0},
    'back': {'command': SLEEP, 'autostart': False, 'startsecs': 0},
    'ticker': {'command': SLEEP, 'autostart': False, 'startsecs': 0},
    # Exits at once; startsecs leaves a loaded machine (xdist workers) room to run sh before supervisord
    # would call it started, so it always ends FATAL, never EXITED.
    'crasher': {'command': "sh -c 'echo crasher-is-broken >&2; exit 3'", 'autostart': False,
                'startsecs': 5, 'startretries': 0, 'autorestart': False},
    'idler': {'command': SLEEP, 'autostart': False, 'startsecs': 0},
}
GROUPS = {'web': ['front', 'back'], 'auto': ['ticker'], 'broken': ['crasher'], 'loose': ['idler']}

RULES = '''<?xml version="1.0" encoding="UTF-8" standalone="no"?>
<root>
    <application name="web">
        <start_sequence>0</start_sequence>
        <stop_sequence>1</stop_sequence>
        <starting_strategy>CONFIG</starting_strategy>
        <programs>
            <program name="front">
                <identifiers>alpha,beta,gamma</identifiers>
                <start_sequence>1</start_sequence>
                <required>true</required>
            </program>
            <program name="back">
                <identifiers>beta,gamma,alpha</identifiers>
                <start_sequence>1</start_sequence>
                <required>true</required>
            </program>
        </programs>
    </application>
    <application name="auto">
        <start_sequence>1</start_sequence>
        <stop_sequence>1</stop_sequence>
        <programs>
            <program name="ticker">
                <identifiers>alpha,beta,gamma</identifiers>
                <start_sequence>1</start_sequence>
                <required>true</required>
            </program>
        </programs>
    </application>
    <application name="broken">
        <start_sequence>0</start_sequence>
        <programs>
            <program name="crasher">
                <identifiers>*</identifiers>
                <start_sequence>1</start_sequence>
                <required>true</required>
            </program>
        </programs>
    </application>
</root>
'''


# running_cluster's arguments: 120 s to reach OPERATION, for three hosts on two loaded cores.
CLUSTER = dict(hosts=HOSTS, programs=PROGRAMS, groups=GROUPS, rules=RULES, timeout=120)
