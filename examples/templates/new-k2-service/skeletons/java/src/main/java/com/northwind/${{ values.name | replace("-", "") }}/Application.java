package com.northwind.${{ values.name | replace("-", "") }};

import java.util.Map;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

/** ${{ values.name }}: a Spring Boot service made with K2's "New K2 service" template. */
@SpringBootApplication
@RestController
public class Application {

  public static void main(String[] args) {
    SpringApplication.run(Application.class, args);
  }

  /** K2's readiness and liveness probes (k2.io/health-path). */
  @GetMapping("/healthz")
  public Map<String, String> health() {
    return Map.of("status", "ok");
  }

  @GetMapping("/")
  public Map<String, String> hello() {
    return Map.of("service", "${{ values.name }}", "message", "Hello from K2");
  }
}
