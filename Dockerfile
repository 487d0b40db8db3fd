# Multi-stage build of the three logbus binaries into a small static image.
#   docker build -t logbus .
#   docker run --rm logbus logbus version
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" \
      -o /out/ ./cmd/broker ./cmd/filesink ./cmd/logbus

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/ /usr/local/bin/
COPY configs/ /etc/logbus/
USER nonroot
# ingest, fan-out, broker HTTP, file sink HTTP, archive
EXPOSE 5010 5011 5012 5013 5014
ENTRYPOINT []
CMD ["logbus", "--help"]
