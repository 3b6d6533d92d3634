"""What the keys may change in the cluster, and the one gate every change goes through.

`verbs` says what each action is (its request, the kubectl command that does
the same, what the confirm dialog shows); `gate` refuses in replay, with
--read-only and for read-only contexts, then sends; `errors` words a refusal
from the server as kubectl does. No Textual here.
"""
