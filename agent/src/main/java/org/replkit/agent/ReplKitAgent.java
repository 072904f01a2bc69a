package org.replkit.agent;

import net.bytebuddy.agent.builder.AgentBuilder;
import net.bytebuddy.asm.Advice;
import net.bytebuddy.description.type.TypeDescription;
import net.bytebuddy.dynamic.DynamicType;
import net.bytebuddy.utility.JavaModule;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.instrument.Instrumentation;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.BiFunction;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.jar.JarOutputStream;

import static net.bytebuddy.matcher.ElementMatchers.hasSuperType;
import static net.bytebuddy.matcher.ElementMatchers.isAbstract;
import static net.bytebuddy.matcher.ElementMatchers.isInterface;
import static net.bytebuddy.matcher.ElementMatchers.isStatic;
import static net.bytebuddy.matcher.ElementMatchers.isSynthetic;
import static net.bytebuddy.matcher.ElementMatchers.nameStartsWith;
import static net.bytebuddy.matcher.ElementMatchers.named;
import static net.bytebuddy.matcher.ElementMatchers.not;
import static net.bytebuddy.matcher.ElementMatchers.returns;
import static net.bytebuddy.matcher.ElementMatchers.takesArgument;
import static net.bytebuddy.matcher.ElementMatchers.takesArguments;

/**
 * {@code -javaagent:replkit-agent.jar[=<rules file>]}: instruments every {@code Driver.connect} and
 * {@code DataSource.getConnection} so the connections the rules select capture as {@code jdbc:replkit:}
 * ones do (see {@link AgentRules} and agent/README.md).
 *
 * <p>Start-up problems (rules, instrumentation) stop the JVM with a message: an application that runs
 * believing it is captured while it is not loses changes without anyone noticing.
 */
public final class ReplKitAgent
{
   private static final String BRIDGE = "org.replkit.agent.bootstrap.Bridge";

   private ReplKitAgent()
   {
   }

   public static void premain(String argument, Instrumentation inst)
   {
      final long start = System.nanoTime();
      try {
         final AgentRules rules = argument == null || argument.isBlank() ? AgentRules.captureEverything() : AgentRules.load(Path.of(argument.trim()));
         installBridge(inst, new ConnectionCapture(rules));
         final long bridged = System.nanoTime();
         instrument(inst);
         LoggerFactory.getLogger(ReplKitAgent.class).info("ReplKit agent started in {} ms (instrumentation {} ms): {} rule(s) from {}",
                                                          (System.nanoTime() - start) / 1_000_000, (System.nanoTime() - bridged) / 1_000_000,
                                                          rules.rules.size(), rules.source);
      }
      catch (Throwable t) {
         System.err.println("ReplKit agent: " + (t instanceof AgentRules.AgentConfigException ? t.getMessage() : t.toString()));
         System.err.println("ReplKit agent: refusing to start the application, whose changes would not be captured. "
                            + "Fix the above, or remove -javaagent:replkit-agent.jar.");
         if (!(t instanceof AgentRules.AgentConfigException)) {
            t.printStackTrace();
         }
         System.exit(1);
      }
   }

   /** Only -javaagent: attaching later would miss connections already open, and JDK 21+ frowns on dynamic attach. */
   public static void agentmain(String argument, Instrumentation inst)
   {
      throw new IllegalStateException("the ReplKit agent attaches at start-up only: add -javaagent:replkit-agent.jar to the java command");
   }

   /** Puts the Bridge class into the bootstrap loader (before anything loads it from the agent jar) and points it at the handler. */
   private static void installBridge(Instrumentation inst, BiFunction<Object, Object, Object> handler) throws IOException, ReflectiveOperationException
   {
      final String resource = BRIDGE.replace('.', '/') + ".class";
      final Path jar = Files.createTempFile("replkit-agent-bootstrap", ".jar");
      jar.toFile().deleteOnExit();
      try (InputStream in = ReplKitAgent.class.getClassLoader().getResourceAsStream(resource);
           OutputStream out = Files.newOutputStream(jar);
           JarOutputStream jout = new JarOutputStream(out)) {
         if (in == null) {
            throw new IOException(resource + " is missing from the agent jar");
         }
         jout.putNextEntry(new JarEntry(resource));
         in.transferTo(jout);
         jout.closeEntry();
      }
      inst.appendToBootstrapClassLoaderSearch(new JarFile(jar.toFile()));
      final Class<?> bridge = Class.forName(BRIDGE, true, null);
      if (bridge.getClassLoader() != null) {
         throw new IllegalStateException(BRIDGE + " was loaded before the agent started, by " + bridge.getClassLoader());
      }
      bridge.getField("handler").set(null, handler);
   }

   private static void instrument(Instrumentation inst)
   {
      final Logger log = LoggerFactory.getLogger(ReplKitAgent.class);
      // advice only, generated by Byte Buddy itself: validating it on every transformation is start-up time for nothing
      new AgentBuilder.Default(new net.bytebuddy.ByteBuddy().with(net.bytebuddy.dynamic.scaffold.TypeValidation.DISABLED))
         .disableClassFormatChanges() // advice only, so classes loaded before premain can be retransformed too
         .with(AgentBuilder.RedefinitionStrategy.RETRANSFORMATION)
         .with(new TypePoolCache())
         .with(new AgentBuilder.Listener.Adapter()
         {
            @Override
            public void onTransformation(TypeDescription type, ClassLoader loader, JavaModule module, boolean loaded, DynamicType dynamicType)
            {
               log.debug("ReplKit agent instrumented {}", type.getName());
            }

            @Override
            public void onError(String typeName, ClassLoader loader, JavaModule module, boolean loaded, Throwable t)
            {
               if (t instanceof net.bytebuddy.pool.TypePool.Resolution.NoSuchTypeException) {
                  // matching met a super type missing from the class path (optional dependencies): common, and no
                  // class that fails to load through a missing super type can ever be a working driver
                  log.debug("ReplKit agent could not match {}: {}", typeName, t.toString());
               }
               else {
                  log.warn("ReplKit agent could not instrument {}: if it is a JDBC driver or DataSource, its connections are not captured", typeName, t);
               }
            }
         })
         // the agent's own classes (ReplKit wraps connections itself) and the JDK, which has no drivers
         .ignore(nameStartsWith("org.replkit.").or(nameStartsWith("net.bytebuddy.")).or(nameStartsWith("java."))
                    .or(nameStartsWith("jdk.")).or(nameStartsWith("sun.")).or(nameStartsWith("com.sun.")).or(isSynthetic()))
         .type(not(isInterface()).and(hasSuperType(named("java.sql.Driver"))))
         // exactly java.sql.Connection: a covariant connect (MariaDB's returns its own Connection class) cannot
         // return the wrapper; its bridge, the method java.sql.Driver callers reach, can (BridgeMethodCapture)
         .transform((builder, type, loader, module, domain) -> builder.visit(
            Advice.to(ConnectAdvice.class).on(named("connect").and(not(isAbstract())).and(not(isStatic()))
                                                 .and(returns(named("java.sql.Connection")))
                                                 .and(takesArguments(2)).and(takesArgument(0, String.class))
                                                 .and(takesArgument(1, java.util.Properties.class)))).visit(BridgeMethodCapture.INSTANCE))
         // CommonDataSource, not DataSource: pgjdbc declares getConnection in BaseDataSource, which is not a DataSource itself
         .type(not(isInterface()).and(hasSuperType(named("javax.sql.CommonDataSource"))))
         .transform((builder, type, loader, module, domain) -> builder.visit(
            Advice.to(GetConnectionAdvice.class).on(named("getConnection").and(not(isAbstract())).and(not(isStatic()))
                                                       .and(returns(named("java.sql.Connection")))
                                                       .and(takesArguments(0).or(takesArguments(String.class, String.class))))).visit(BridgeMethodCapture.INSTANCE))
         .installOn(inst);
   }
}
