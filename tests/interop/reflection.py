"""Lists the server's services with the stock Python grpcio-reflection client, which speaks
grpc.reflection.v1alpha (as grpcurl 1.8, evans and Postman do)."""
import sys

import grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

EXPECTED = {
    "matchledger.v1.PostingService",
    "matchledger.v1.QueryService",
    "matchledger.v1.AuditService",
    "grpc.health.v1.Health",
}


def main(address):
    with grpc.insecure_channel(address) as channel:
        stub = reflection_pb2_grpc.ServerReflectionStub(channel)
        request = reflection_pb2.ServerReflectionRequest(list_services="")
        answers = list(stub.ServerReflectionInfo(iter([request]), timeout=10))
    names = {service.name for service in answers[0].list_services_response.service}
    missing = EXPECTED - names
    if missing:
        sys.exit(f"reflection v1alpha: missing services {sorted(missing)} in {sorted(names)}")
    print(f"reflection v1alpha (grpcio-reflection): {len(names)} services listed")


if __name__ == "__main__":
    main(sys.argv[1])
