package org.replkit.server;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.*;

class ServerConfigTest
{
   @Test
   void theDocumentedExampleLoadsWithCredentialsFromTheEnvironment()
   {
      final Map<String, String> env = Map.of("ORDERS_PASSWORD", "s3cret", "MARIA_PASSWORD", "m4ria");
      final Path example = Path.of("replkit.example.yaml").toAbsolutePath();
      final ServerConfig c = ServerConfig.load(example, env::get);
      assertEquals(example.getParent().resolve("replkit-data/queue"), c.queue());
      assertEquals("jdbc:postgresql://127.0.0.1:5432/replkit_control", c.control().url());
      assertEquals("postgres", c.control().user(), "${VAR:-default} falls back when unset");
      assertEquals("", c.control().password());
      assertEquals(List.of("ORDERS"), c.sites().stream().map(ServerConfig.Site::name).toList());
      assertEquals("s3cret", c.sites().get(0).db().password());
      assertEquals(20, c.sites().get(0).pollMillis());
      assertEquals("maria1.orders", c.connections().get(0).name());
      assertEquals("m4ria", c.connections().get(0).db().password());
      assertEquals(Set.of("ORDERS"), c.connections().get(1).from(), "from defaults to every site");
      assertEquals("public", c.connections().get(1).schema());
      assertEquals(50, c.connections().get(0).groupTransactions());
      assertEquals("ORDERS", c.standby().site());
      assertEquals("s3cret", c.standby().primary().password(), "a site's database is the standby's primary");
      assertEquals(256L << 20, c.standby().maxLogBytes());

      final ServerConfig.ConfigException e = assertThrows(ServerConfig.ConfigException.class, () -> ServerConfig.load(example, k -> null));
      assertEquals("sites[0].password: environment variable ORDERS_PASSWORD is not set", e.getMessage());
   }
}
