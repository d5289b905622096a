"""Where things are: the repository, its virtual environment, the collection tree."""

import os
import sys

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
VENV_BIN = os.path.dirname(sys.executable)
# scripts/bootstrap links the repository here, so ansible finds supervisor.control.
COLLECTIONS_ROOT = os.path.join(REPO, '.cache', 'collections')
SUPVISORS_VENV_BIN = os.path.join(REPO, '.venv-supvisors', 'bin')


def ensure_collection_link():
    target = os.path.join(COLLECTIONS_ROOT, 'ansible_collections', 'supervisor')
    os.makedirs(target, exist_ok=True)
    link = os.path.join(target, 'control')
    if os.path.realpath(link) != REPO:
        if os.path.lexists(link):
            os.unlink(link)
        os.symlink(REPO, link)
    if COLLECTIONS_ROOT not in sys.path:
        sys.path.insert(0, COLLECTIONS_ROOT)
    return COLLECTIONS_ROOT
