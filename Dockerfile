# gatecheck as a container for pipelines: the CLI is the entrypoint, the embedded OPA engine is
# installed, and the OPA binary (same OPA version) is on PATH so `--engine opa` works too.
#
#   docker build -t gatecheck .
#   docker run --rm -v "$PWD:/work" -w /work gatecheck \
#       evaluate evidence-bundle.tar.gz --stage production --output sarif=gatecheck.sarif
ARG OPA_VERSION=1.20.2
ARG PYTHON_VERSION=3.11

FROM openpolicyagent/opa:${OPA_VERSION}-static AS opa

FROM python:${PYTHON_VERSION}-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY gatecheck gatecheck
COPY cli cli
COPY engine engine
COPY evidence evidence
COPY bundles bundles
COPY policies policies
# The embedded binding's metadata asks for a newer Python, but the wheel is ctypes-only.
RUN pip install --no-cache-dir --prefix=/install --ignore-requires-python '.[embedded]'

FROM python:${PYTHON_VERSION}-slim
COPY --from=opa /opa /usr/local/bin/opa
COPY --from=build /install /usr/local
RUN useradd --create-home --uid 10001 --shell /usr/sbin/nologin gatecheck \
    && mkdir /work && chown gatecheck /work
USER 10001
WORKDIR /work
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
ENTRYPOINT ["gatecheck"]
CMD ["--help"]
