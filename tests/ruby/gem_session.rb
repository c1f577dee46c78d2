# frozen_string_literal: true

# Writes and reads sessions in Redis the way a Rails app running the
# rels_session gem does, so that Rust tests can check both directions of
# the shared protocol (see SPEC.md 1.1-1.4):
#
# - ids: the public id is SecureRandom.hex(16); the private id comes from
#   Rack::Session::SessionId ("2::" + SHA-256 of the public id).
# - write (sid_type both): `SET NS:2:secure_store_enabled <epoch> EX 60 NX`,
#   then `SET NS:2::<hash> payload EX ttl` and `SET NS:<public id> payload
#   EX ttl` in one pipeline. The payload is JSON.generate of the session
#   with top-level nil values dropped.
# - read: `MGET NS:2::<hash> NS:<public id>`, the first present value wins.
#
# Usage:
#   ruby gem_session.rb write --url URL --namespace NS --id ID [--ttl S] --json JSON
#   ruby gem_session.rb read --url URL --namespace NS --id ID
#   ruby gem_session.rb new-id

require "json"
require "optparse"
require "securerandom"
require "rack"
require "rack/session/abstract/id"
require "redis"

DEFAULT_TTL = 1_209_600 # the gem's expires_after: 14 days
FLAG_TTL = 60

def parse_options(argv, required)
  options = { ttl: DEFAULT_TTL }
  OptionParser.new do |parser|
    parser.on("--url URL") { |v| options[:url] = v }
    parser.on("--namespace NS") { |v| options[:namespace] = v }
    parser.on("--id PUBLIC_ID") { |v| options[:id] = v }
    parser.on("--ttl SECONDS", Integer) { |v| options[:ttl] = v }
    parser.on("--json JSON") { |v| options[:json] = v }
  end.parse!(argv)
  missing = required.reject { |name| options.key?(name) }
  abort("missing option(s): #{missing.map { |m| "--#{m}" }.join(' ')}") unless missing.empty?
  options
end

# The two keys a session lives under with sid_type both, private first.
def session_keys(namespace, public_id)
  session_id = Rack::Session::SessionId.new(public_id)
  ["#{namespace}:#{session_id.private_id}", "#{namespace}:#{session_id.public_id}"]
end

def write_session(options)
  session = JSON.parse(options.fetch(:json))
  abort("--json must be a JSON object") unless session.is_a?(Hash)
  payload = JSON.generate(session.reject { |_key, value| value.nil? })
  namespace = options.fetch(:namespace)
  ttl = options.fetch(:ttl)

  redis = Redis.new(url: options.fetch(:url))
  redis.set("#{namespace}:2:secure_store_enabled", Time.now.to_i.to_s, ex: FLAG_TTL, nx: true)
  redis.pipelined do |pipeline|
    session_keys(namespace, options.fetch(:id)).each do |key|
      pipeline.set(key, payload, ex: ttl)
    end
  end
end

def read_session(options)
  redis = Redis.new(url: options.fetch(:url))
  raw = redis.mget(*session_keys(options.fetch(:namespace), options.fetch(:id))).compact.first
  puts(raw.nil? ? "null" : JSON.generate(JSON.parse(raw)))
end

command = ARGV.shift
case command
when "write" then write_session(parse_options(ARGV, %i[url namespace id json]))
when "read" then read_session(parse_options(ARGV, %i[url namespace id]))
when "new-id" then puts(SecureRandom.hex(16))
else
  warn("usage: gem_session.rb write|read|new-id [options] (got #{command.inspect})")
  exit(2)
end
