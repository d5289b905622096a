"""Helpers shared by the test suite: real supervisord daemons and real ansible-playbook runs."""
