# The twinstack server as a container image: `twinstack serve`, configured by
# the environment (PORT, IMAGES_BUCKET, IMAGES_TABLE, ALBUMS_TABLE,
# AWS_REGION, …; see openapi.yaml and `twinstack serve -h`).
#
#   docker build -t twinstack .
#   docker run -p 8080:8080 -e IMAGES_BUCKET=… -e IMAGES_TABLE=… \
#     -e ALBUMS_TABLE=… -e AWS_REGION=us-east-1 twinstack
#
# Stage 1 builds a static binary; stage 2 is distroless/static (no shell, no
# libc, CA certificates and tzdata only) running as the nonroot user.

FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG TARGETOS=linux
ARG TARGETARCH=amd64
RUN CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH \
    go build -trimpath -ldflags "-s -w" -o /out/twinstack ./cmd/twinstack

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/twinstack /twinstack
USER 65532:65532
ENV PORT=8080
EXPOSE 8080
# SIGTERM drains in-flight requests (SHUTDOWN_TIMEOUT, default 25s).
STOPSIGNAL SIGTERM
ENTRYPOINT ["/twinstack", "serve"]
