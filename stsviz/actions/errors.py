"""A change the server refused (or that may not have happened), worded as kubectl words it.

`Error from server (Forbidden): <message>`, `error: You must be logged in to
the server (Unauthorized)`, a 404 on delete is "already gone", a 409 on a
pod's UID precondition is "already replaced". A refusal (4xx) is not
retried, except a scale's 409 conflict, which `verbs.Scale` reads again and
retries as `kubectl scale` does (SCALE_TRIES in all). After a timeout or a
5xx the outcome is unknown, and the line says so; when no
connection could be made, or the action failed while still reading the set
(before the change was sent), nothing was sent, and the line says that.
"""

from __future__ import annotations

from stsviz.actions.verbs import Action, DeletePod, PreconditionFailed, SetPartition
from stsviz.sources.live.wire import ApiError, NotSent, Unreachable, Unreadable


def kubectl_error(action: Action, error: Exception, *, sent: bool = True) -> str:
    """One line for the notification and the log; never a token (ApiError and Unreachable are scrubbed).

    `sent`: whether the change itself was sent. A failure while the action was
    still reading the set (scale, partition moves, restart and undo read first) changed nothing, whatever it was.
    """
    if isinstance(error, PreconditionFailed):
        return f"error: {error}; nothing was changed"
    if isinstance(error, Unreadable):  # it answered: the connection was fine, the answer was not
        return f"error: {error}; {outcome_of(sent)}"
    if isinstance(error, NotSent) or (isinstance(error, Unreachable) and not sent):
        return f"Unable to connect to the server: {error}; {outcome_of(False)}"
    if isinstance(error, Unreachable):
        return f"Unable to connect to the server: {error}; {outcome_of(True)}"
    if not isinstance(error, ApiError):
        return f"error: {error}"
    if error.status == 401:
        return "error: You must be logged in to the server (Unauthorized)"
    if isinstance(action, DeletePod):
        if error.status == 404:
            return f'Error from server (NotFound): pods "{action.target.name}" not found (already gone)'
        if error.status == 409 and "precondition" in error.message.lower():
            return f"{action.target.name} was already replaced (a new pod has its name); nothing was deleted"
    if isinstance(action, SetPartition) and error.status == 422:
        # The patch's `test` of the partition seen failed: it moved between the read and the write.
        name = action.target.name
        return f"error: the partition of statefulset {name} moved while it was being changed; nothing was changed"
    if error.status >= 500:
        outcome = "the outcome is unknown" if sent else "nothing was changed"
        return f"Error from server ({error.reason or error.status}): {error.message}; {outcome}"
    return f"Error from server ({error.reason or error.status}): {error.message}"


def outcome_of(sent: bool) -> str:
    """What a failure left in the cluster: nothing, before the change was sent; unknown, after."""
    return "the outcome is unknown, watch the screen" if sent else "nothing was sent, nothing changed"
