package org.replkit.liquibase;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import liquibase.util.LiquibaseUtil;
import org.junit.jupiter.api.Test;

/** These tests run twice, in liquibase-ext (4.33.x) and liquibase-ext-it5 (5.0.x): each run checks it has the Liquibase it claims. */
class LiquibaseVersionTest
{
   @Test
   void runsOnTheExpectedLiquibase()
   {
      final String expected = System.getProperty("replkit.liquibase.expected");
      assertNotNull(expected, "surefire sets replkit.liquibase.expected");
      assertEquals(expected, LiquibaseUtil.getBuildVersion());
   }
}
