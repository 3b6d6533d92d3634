#!/bin/bash
set -x
kubectl apply -f manifest-web.yaml
kubectl rollout status sts/web --timeout=120s
kubectl set image sts/web nginx=nginx:bad-1.0
sleep 15
kubectl get controllerrevisions -o json > truth-stuck-revisions.json
kubectl get pods -o json > truth-stuck-pods.json
kubectl get sts web -o json > truth-stuck-sts.json
kubectl rollout undo sts/web
sleep 5
kubectl delete pod web-2 --wait=false
kubectl rollout status sts/web --timeout=120s
sleep 2
kubectl get controllerrevisions -o json > truth-end-revisions.json
kubectl get pods -o json > truth-end-pods.json
kubectl get sts web -o json > truth-end-sts.json
