"""The practice cluster: a stand-in API server for the real kubectl.

`state` holds one exercise's world as API objects (the model computes
Endpoints, EndpointSlices and what commands in pods print), `admission` says
what the API server refuses and in which words, `resources` is what discovery
lists, `server` is the HTTPS face kubectl talks to (`tls` makes its identity,
`protobuf` reads what kubectl's typed clients send), `kubeconfig` points kubectl
at it. `tables`, `patch`, `openapi`, `connectivity` and `streams` answer the
server's Table, PATCH, `kubectl explain` and `kubectl exec` requests.
"""
