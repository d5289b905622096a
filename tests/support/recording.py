"""The XML-RPC requests a module's logic sends to a real daemon, one line per request."""

from tests.support.paths import ensure_collection_link

ensure_collection_link()
from ansible_collections.supervisor.control.plugins.module_utils.client import SupervisorClient  # noqa: E402
from ansible_collections.supervisor.control.plugins.module_utils.task import Task  # noqa: E402


def shown(method, params):
    """``getProcessInfo(web:web_a)``: supervisor's methods without their namespace, the others with it."""
    if method.startswith('supervisor.'):
        method = method[len('supervisor.'):]
    return '%s(%s)' % (method, ','.join(str(p) for p in params)) if params else method


class RecordingClient(SupervisorClient):
    """The real client, noting every request it sends: one line each, the calls of a multicall side by side."""

    def __init__(self, settings):
        super(RecordingClient, self).__init__(settings)
        self.requests = []

    def call(self, method, *params):
        self.requests.append(shown(method, params))
        return super(RecordingClient, self).call(method, *params)

    def multicall(self, calls, lenient=False):
        self.requests.append(' '.join(shown(method, params) for method, params in calls))
        return super(RecordingClient, self).multicall(calls, lenient)


class RecordingTask(Task):
    """The module's Task with the recording client in place of the one it would make."""

    def __init__(self, params, client):
        super(RecordingTask, self).__init__(params)
        self.recording = client

    @property
    def client(self):
        return self.recording
