package polyfolio;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.stream.Stream;
import org.neo4j.configuration.GraphDatabaseSettings;
import org.neo4j.configuration.connectors.BoltConnector;
import org.neo4j.configuration.helpers.SocketAddress;
import org.neo4j.graphdb.GraphDatabaseService;
import org.neo4j.harness.Neo4j;
import org.neo4j.harness.Neo4jBuilders;

/**
 * Starts Neo4j's in-process test server with Bolt on 127.0.0.1:PORT and authentication on, sets the
 * password of user neo4j, prints one ready line and runs until SIGTERM (or SIGINT).
 *
 * <p>Environment: NEO4J_PORT (default 7687; 0 picks a free port), NEO4J_PASSWORD (default
 * polyfolio-test), NEO4J_DATA_DIR (default: a fresh temporary folder, deleted on stop).
 */
public final class Neo4jServer {
  public static void main(String[] args) throws Exception {
    int port = Integer.parseInt(env("NEO4J_PORT", "7687"));
    String password = env("NEO4J_PASSWORD", "polyfolio-test");
    String dataDir = System.getenv("NEO4J_DATA_DIR");
    Path dir = dataDir == null || dataDir.isEmpty()
        ? Files.createTempDirectory("polyfolio-neo4j-")
        : Files.createDirectories(Path.of(dataDir));
    boolean deleteDir = dataDir == null || dataDir.isEmpty();

    Neo4j neo4j = Neo4jBuilders.newInProcessBuilder(dir)
        .withDisabledServer()
        .withConfig(BoltConnector.enabled, true)
        .withConfig(BoltConnector.listen_address, new SocketAddress("127.0.0.1", port))
        .withConfig(BoltConnector.advertised_address, new SocketAddress("127.0.0.1", port))
        .withConfig(GraphDatabaseSettings.auth_enabled, true)
        .build();

    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      try {
        neo4j.close();
        if (deleteDir) deleteTree(dir);
      } catch (Exception e) {
        System.err.println("neo4j-server: stop failed: " + e);
      } finally {
        stopped.countDown();
      }
    }, "neo4j-server-stop"));

    GraphDatabaseService system = neo4j.databaseManagementService().database("system");
    system.executeTransactionally(
        "ALTER USER neo4j SET PASSWORD $password CHANGE NOT REQUIRED", Map.of("password", password));
    String version = neo4j.defaultDatabaseService().executeTransactionally(
        "CALL dbms.components() YIELD versions, edition RETURN versions[0] + ' ' + edition AS v",
        Map.of(), r -> r.next().get("v").toString());

    System.out.println("neo4j-server ready " + neo4j.boltURI() + " neo4j " + version
        + " java " + Runtime.version());
    System.out.flush();
    stopped.await();
  }

  private static String env(String name, String fallback) {
    String v = System.getenv(name);
    return v == null || v.isEmpty() ? fallback : v;
  }

  private static void deleteTree(Path dir) throws Exception {
    try (Stream<Path> paths = Files.walk(dir)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }
}
