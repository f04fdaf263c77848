# Spring Boot service built with Gradle, by K2 from templates/java-gradle.Dockerfile
# (@internal/plugin-k2-builds-common). Needs build.gradle or build.gradle.kts (and
# settings.gradle if any) and src/; `bootJar` must leave one jar in build/libs/.

# Build stage: dependencies first, so this layer stays cached until the build scripts
# (*.gradle, *.gradle.kts) change; then the sources. Tests are not run here.
FROM ${{ buildImage }} AS build
WORKDIR /build
COPY *.gradle* ./
RUN gradle --no-daemon --quiet dependencies
COPY src ./src
RUN gradle --no-daemon --quiet bootJar && cp build/libs/*.jar /build/app.jar

# Runtime stage: a JRE and the jar, run by user 1000.
FROM ${{ runtimeImage }}
WORKDIR /app
# K2 mounts the service's log directory at /log-dir; created here so the image runs
# the same without it. Logs go to stdout; files, if any, under /log-dir.
RUN mkdir -p /log-dir && chown 1000:1000 /log-dir
COPY --from=build --chown=1000:1000 /build/app.jar /app/app.jar
# Heap sized from the container's memory limit, exit on OutOfMemoryError so that
# Kubernetes restarts the pod. K2 sets the same variable on Java services' pods.
ENV JAVA_TOOL_OPTIONS="${{ jvmOptions }}"
USER 1000:1000
# The port K2 probes (k2.io/port); K2's probes replace a HEALTHCHECK.
EXPOSE ${{ port }}
ENTRYPOINT ["java", "-jar", "/app/app.jar"]
