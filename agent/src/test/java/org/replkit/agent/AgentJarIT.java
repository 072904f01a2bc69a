package org.replkit.agent;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The shaded agent jar: nothing in it may clash with the application's own libraries or change its set-up. */
class AgentJarIT
{
   @Test
   void librariesAreRelocatedAndTheJarIsOnlyAnAgent() throws Exception
   {
      try (JarFile jar = new JarFile(ChildJvm.agentJar().toFile())) {
         final List<String> names = jar.stream().map(JarEntry::getName).toList();
         for (String lib : List.of("org/slf4j/", "net/bytebuddy/", "net/sf/jsqlparser/")) {
            assertTrue(names.stream().noneMatch(n -> n.startsWith(lib) || n.startsWith("META-INF/versions/") && n.contains(lib)),
                       lib + " must be relocated");
            assertTrue(names.stream().anyMatch(n -> n.startsWith("org/replkit/agent/shaded/" + lib)), lib + " is in the jar, relocated");
         }
         assertTrue(names.contains("org/replkit/jdbc/capture/H2CaptureTrigger.class"), "H2 loads the trigger by this name");
         assertNull(jar.getEntry("META-INF/services/java.sql.Driver"), "the agent must not register the jdbc:replkit: driver in every application");
         assertNotNull(jar.getEntry("META-INF/services/org.replkit.agent.shaded.org.slf4j.spi.SLF4JServiceProvider"), "the agent's own logging provider");
         final Attributes manifest = jar.getManifest().getMainAttributes();
         assertEquals("org.replkit.agent.ReplKitAgent", manifest.getValue("Premain-Class"));
         assertEquals("true", manifest.getValue("Can-Retransform-Classes"));
         assertNull(manifest.getValue("Agent-Class"), "start-up only");
      }
   }
}
