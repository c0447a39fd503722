# Renders Liquid templates with Shopify Liquid (Debian's ruby-liquid, 5.4) for the
# differential test (tests/differential.rs). One JSON object a line in:
#
#   {"template": "...", "data": {...}, "partials": {"name": "source"}}
#
# and one a line out, in the same order:
#
#   {"ok": true, "output": "..."}                         rendered
#   {"ok": false, "phase": "parse"|"render", "error": "..."} failed
#
# A strict parse error adds `"lax": {...}`, what the lax parser made of the template.
# A request with `"patch": "ruby code"` is rendered in a forked process that first runs
# the code: a deviation's patch makes Shopify behave as we do, to check that the
# deviation explains a disagreement (tests/differential/deviations.rs).
#
# How it renders (README, "Differential testing", says why):
# - parsing is strict (`error_mode: :strict`); when the strict parse fails, `lax` adds
#   what the lax parser (Shopify's default) made of it;
# - rendering is `render!` with `strict_filters`, so that a render error raises instead
#   of being written into the output as `Liquid error: ...`, and an unknown filter is an
#   error rather than a filter that returns its input;
# - undefined variables render as nothing (`strict_variables` off), as ours do;
# - time is UTC; a render stops with an error past 4 MiB of output or 4,000,000 nodes
#   rendered (Shopify's own resource limits, near ours), or after 2 seconds (`timeout`);
# - every value has ActiveSupport's `blank?`, as in Shopify, which runs Liquid inside
#   Rails: Liquid's `x == blank` calls `x.blank?`, and without ActiveSupport (Debian's
#   package alone) it is false for every string, array and hash;
# - output that is not valid UTF-8 (`url_decode` of `%FF`) is sent with U+FFFD for the
#   bad bytes and `"invalid_utf8": true`.
ENV["TZ"] = "UTC"
require "json"
require "liquid"
require "timeout"

# ActiveSupport's `blank?` (activesupport/lib/active_support/core_ext/object/blank.rb).
class Object
  def blank?
    respond_to?(:empty?) ? !!empty? : !self
  end
end

class String
  def blank?
    empty? || /\A[[:space:]]*\z/.match?(self)
  end
end

class Numeric
  def blank?
    false
  end
end

class TrueClass
  def blank?
    false
  end
end

# Partials come with each request.
class MemoryFileSystem
  def initialize(partials)
    @partials = partials || {}
  end

  def read_template_file(name)
    @partials.fetch(name) { raise Liquid::FileSystemError, "No such template '#{name}'" }
  end
end

def error_text(e)
  "#{e.class}: #{e.message}".scrub("\uFFFD")
end

def render(request, mode)
  template = Liquid::Template.parse(request["template"], error_mode: mode)
  template.resource_limits.render_length_limit = 4 << 20
  template.resource_limits.render_score_limit = 4_000_000
  begin
    output = Timeout.timeout(2) do
      template.render!(
        request["data"] || {},
        strict_filters: true,
        registers: { file_system: MemoryFileSystem.new(request["partials"]) }
      )
    end
  rescue Timeout::Error
    return { "ok" => false, "phase" => "render", "error" => "timeout" }
  rescue StandardError, SystemStackError => e
    return { "ok" => false, "phase" => "render", "error" => error_text(e) }
  end
  output = output.to_s
  if output.force_encoding("UTF-8").valid_encoding?
    { "ok" => true, "output" => output }
  else
    { "ok" => true, "output" => output.scrub("\uFFFD"), "invalid_utf8" => true }
  end
rescue StandardError, SystemStackError => e
  { "ok" => false, "phase" => "parse", "error" => error_text(e) }
end

def answer(request)
  result = render(request, :strict)
  if result["phase"] == "parse"
    result["lax"] = render(request, :lax)
  end
  result
end

def answer_patched(request)
  reader, writer = IO.pipe
  pid = fork do
    reader.close
    eval(request["patch"]) # rubocop:disable Security/Eval: the test's own deviations file
    writer.write(JSON.generate(answer(request)))
    writer.close
    exit!(0)
  end
  writer.close
  reply = reader.read
  reader.close
  Process.wait(pid)
  JSON.parse(reply)
end

$stdout.sync = true
$stdin.each_line do |line|
  request = JSON.parse(line)
  result = request["patch"] ? answer_patched(request) : answer(request)
  $stdout.puts(JSON.generate(result))
end
