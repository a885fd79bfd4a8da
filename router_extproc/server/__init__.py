"""The process: grpc.aio server lifecycle, health, the router in force and policy hot reload."""
