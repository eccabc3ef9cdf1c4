// Maven's own account of where each version of a project's dependencies
// comes from: the effective model built by Debian's Maven 3.8.7 model
// builder (the code behind `mvn help:effective-pom -Dverbose`, whose
// plugin Debian does not ship) with location tracking, offline over a
// local repository in the Maven layout. For each dependency of the
// project and each <dependencyManagement> entry it prints
//
//   kind groupId:artifactId:type version origin[:line] [property name origin]
//
// where origin is the model id (groupId:artifactId:version) of the POM
// whose <version> element gives the version, and, for a version written
// as ${name} in that POM's raw model, the model id of the POM defining the
// property name (Maven interpolates the effective model: the property's
// value is the one the nearest POM defines). mvn-origins.sh runs it.
//
// Usage: java -cp '/usr/share/maven/lib/*' MvnOrigins.java REPO POM
import java.io.File;
import java.util.List;
import java.util.Properties;

import org.apache.maven.model.Dependency;
import org.apache.maven.model.InputLocation;
import org.apache.maven.model.Model;
import org.apache.maven.model.Parent;
import org.apache.maven.model.Repository;
import org.apache.maven.model.building.DefaultModelBuilderFactory;
import org.apache.maven.model.building.DefaultModelBuildingRequest;
import org.apache.maven.model.building.FileModelSource;
import org.apache.maven.model.building.ModelBuildingRequest;
import org.apache.maven.model.building.ModelBuildingResult;
import org.apache.maven.model.building.ModelSource;
import org.apache.maven.model.resolution.ModelResolver;
import org.apache.maven.model.resolution.UnresolvableModelException;

public class MvnOrigins {
    static File repo;

    static class Resolver implements ModelResolver {
        public ModelSource resolveModel(String g, String a, String v) throws UnresolvableModelException {
            File f = new File(repo, g.replace('.', '/') + "/" + a + "/" + v + "/" + a + "-" + v + ".pom");
            if (!f.isFile()) {
                throw new UnresolvableModelException("no " + f, g, a, v);
            }
            return new FileModelSource(f);
        }

        public ModelSource resolveModel(Parent p) throws UnresolvableModelException {
            return resolveModel(p.getGroupId(), p.getArtifactId(), p.getVersion());
        }

        public ModelSource resolveModel(Dependency d) throws UnresolvableModelException {
            return resolveModel(d.getGroupId(), d.getArtifactId(), d.getVersion());
        }

        public void addRepository(Repository r) {}

        public void addRepository(Repository r, boolean replace) {}

        public ModelResolver newCopy() { return this; }
    }

    public static void main(String[] args) throws Exception {
        repo = new File(args[0]);
        DefaultModelBuildingRequest req = new DefaultModelBuildingRequest();
        req.setPomFile(new File(args[1]));
        req.setModelResolver(new Resolver());
        req.setLocationTracking(true);
        req.setProcessPlugins(false);
        req.setValidationLevel(ModelBuildingRequest.VALIDATION_LEVEL_MINIMAL);
        req.setSystemProperties(new Properties());
        ModelBuildingResult res = new DefaultModelBuilderFactory().newInstance().build(req);
        Model eff = res.getEffectiveModel();
        if (eff.getDependencyManagement() != null) {
            print(res, "managed", eff.getDependencyManagement().getDependencies());
        }
        print(res, "dependency", eff.getDependencies());
    }

    static void print(ModelBuildingResult res, String kind, List<Dependency> deps) {
        for (Dependency d : deps) {
            InputLocation loc = d.getLocation("version");
            String origin = "-";
            String prop = "";
            if (loc != null && loc.getSource() != null) {
                origin = loc.getSource().getModelId() + ":" + loc.getLineNumber();
                String raw = rawVersion(res, loc);
                if (raw != null && raw.startsWith("${") && raw.endsWith("}")) {
                    String name = raw.substring(2, raw.length() - 1);
                    prop = " property " + name + " " + definer(res, name);
                }
            }
            System.out.println(kind + " " + d.getManagementKey() + " " + d.getVersion() + " " + origin + prop);
        }
    }

    // rawVersion is the version as written at loc, in its POM's raw model.
    static String rawVersion(ModelBuildingResult res, InputLocation loc) {
        Model raw = res.getRawModel(loc.getSource().getModelId());
        if (raw == null) {
            return null;
        }
        for (List<Dependency> list : List.of(raw.getDependencies(),
                raw.getDependencyManagement() == null ? List.<Dependency>of() : raw.getDependencyManagement().getDependencies())) {
            for (Dependency d : list) {
                InputLocation l = d.getLocation("version");
                if (l != null && l.getLineNumber() == loc.getLineNumber()) {
                    return d.getVersion();
                }
            }
        }
        return null;
    }

    // definer is the model id of the nearest POM of the project's lineage
    // (the project first) whose raw model defines property name.
    static String definer(ModelBuildingResult res, String name) {
        for (String id : res.getModelIds()) {
            Model raw = res.getRawModel(id);
            if (raw != null && raw.getProperties().containsKey(name)) {
                return id.isEmpty() ? "(super)" : id;
            }
        }
        return "-";
    }
}
