/**
 * JMH microbenchmarks. Each class's Javadoc has the exact command to run it; build first with
 * {@code ./mvnw -q -pl sharedmap-bench -am package -DskipTests}, which also writes the class path
 * to {@code sharedmap-bench/target/jmh.classpath}.
 */
package io.sharedmap.bench.jmh;
