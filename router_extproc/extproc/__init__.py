"""The ext_proc adapter: the gRPC stream loop, the per-phase processor and the ProcessingResponse
builders. It translates between Envoy's messages and the routing layer's plan and observer."""
