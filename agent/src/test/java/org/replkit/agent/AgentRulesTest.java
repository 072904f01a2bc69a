package org.replkit.agent;

import org.junit.jupiter.api.Test;

import java.util.Properties;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AgentRulesTest
{
   private static AgentRules parse(String... kv) throws AgentRules.AgentConfigException
   {
      final Properties p = new Properties();
      for (int i = 0; i < kv.length; i += 2) {
         p.setProperty(kv[i], kv[i + 1]);
      }
      return AgentRules.parse(p, "test");
   }

   @Test
   void rulesMatchInNumberOrderWithSharedAndOwnSettings() throws Exception
   {
      final AgentRules rules = parse("replkit.agent.rule.10.url", "jdbc:postgresql://*",
                                     "replkit.agent.rule.10.site", "lyon",
                                     "replkit.agent.rule.2.url", "jdbc:postgresql://*/shop*",
                                     "replkit.agent.rule.2.site", "paris",
                                     "replkit.agent.rule.3.dataSource", "org.h2.jdbcx.*",
                                     "replkit.exclude", "audit_*");
      assertEquals("paris", rules.forUrl("jdbc:postgresql://db:5432/shop?user=a").config().site());
      assertEquals("lyon", rules.forUrl("jdbc:postgresql://db:5432/stock").config().site());
      assertNull(rules.forUrl("jdbc:mariadb://db/shop"));
      assertTrue(rules.forUrl("jdbc:postgresql://db/stock").config().isExcluded("public", "audit_log"));
      assertEquals(3, rules.forDataSource("org.h2.jdbcx.JdbcDataSource").number());
      assertNull(rules.forDataSource("com.zaxxer.hikari.HikariDataSource"));
      assertNull(rules.forUrl("jdbc:h2:mem:x"), "a dataSource rule does not match Driver.connect URLs");
   }

   @Test
   void everyMistakeIsReportedAtOnce()
   {
      final var e = assertThrows(AgentRules.AgentConfigException.class,
                                 () -> parse("replkit.agent.rule.1.url", "jdbc:h2:*",
                                             "replkit.agent.rule.1.sight", "x",
                                             "replkit.agent.rule.2.site", "y",
                                             "replkit.agent.rules", "z",
                                             "replkit.driver", "org.h2.Driver",
                                             "spring.datasource.url", "jdbc:h2:mem:a"));
      final String m = e.getMessage();
      assertTrue(m.contains("unknown ReplKit setting replkit.sight"), m);
      assertTrue(m.contains("rule 2 has neither .url nor .dataSource"), m);
      assertTrue(m.contains("unknown key replkit.agent.rules"), m);
      assertTrue(m.contains("replkit.driver is not used by the agent"), m);
      assertTrue(m.contains("unknown key spring.datasource.url"), m);
   }

   @Test
   void anEmptyFileIsAnError()
   {
      assertTrue(assertThrows(AgentRules.AgentConfigException.class, () -> parse()).getMessage().contains("no rules"));
   }

   @Test
   void withoutAFileEveryConnectionToASupportedDatabaseIsCaptured() throws Exception
   {
      final AgentRules all = AgentRules.captureEverything();
      assertEquals(1, all.forUrl("jdbc:postgresql://db/shop?user=a").number());
      assertEquals(2, all.forUrl("jdbc:mariadb://db/shop").number());
      assertEquals(3, all.forUrl("jdbc:h2:mem:a").number());
      assertNull(all.forUrl("jdbc:sqlite:cache.db"), "a database ReplKit cannot capture is left alone");
      final AgentRules.Rule ds = all.forDataSource("any.DataSource");
      assertTrue(ds.acceptsDataSourceUrl("jdbc:postgresql://db/shop"));
      assertFalse(ds.acceptsDataSourceUrl("jdbc:sqlite:cache.db"));
   }
}
