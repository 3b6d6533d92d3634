"""The control plane's loops: StatefulSet, scheduler, kubelet, volumes,
garbage collector and namespace controllers, each reacting to store changes
through its own work queue, as kube-controller-manager's do."""
