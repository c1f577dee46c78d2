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
#   ruby gem_session.rb sign-in --url URL --namespace NS --id ID --user UUID --meta JSON [--json JSON]
#   ruby gem_session.rb sessions --url URL --namespace NS --user UUID
#
# sign-in records a login as the gem does (SPEC 1.4, 1.5): the session gets
# Devise's warden key and a `meta` object with the 13 fields in the gem's
# order (the given --meta fills them; `public_session_id` and `updated_at`
# are set here, times written as Time#to_s in UTC); then `MULTI SADD
# EXPIRE EXEC` on the user index and, when the member was new, `MULTI
# INCRBY SET EXEC` on the counter. sessions prints the user's active
# sessions as the gem lists them: SMEMBERS, one MGET of the private keys,
# the `meta` of each session that exists, as a JSON array sorted by
# public_session_id.

require "json"
require "optparse"
require "securerandom"
require "rack"
require "rack/session/abstract/id"
require "redis"

# Integer replies from SADD, as Redis gives them (and without a warning).
Redis.sadd_returns_boolean = false if Redis.respond_to?(:sadd_returns_boolean=)

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
    parser.on("--user UUID") { |v| options[:user] = v }
    parser.on("--meta JSON") { |v| options[:meta] = v }
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

META_KEYS = %w[ip browser os app_version device_name device_type installation_id
               course_id client_platform public_session_id session_key_type
               created_at updated_at].freeze

def sign_in(options)
  given = JSON.parse(options.fetch(:meta))
  meta = META_KEYS.to_h { |key| [key, given[key]] }
  meta["public_session_id"] = options.fetch(:id)
  meta["session_key_type"] ||= "cookie"
  meta["updated_at"] = Time.now.utc.to_s
  session = JSON.parse(options.fetch(:json, "{}"))
  session["warden.user.user.key"] = [[1], "salt"]
  session["meta"] = meta
  write_session(options.merge(json: JSON.generate(session)))

  namespace = options.fetch(:namespace)
  index = "#{namespace}:user_sessions:#{options.fetch(:user)}"
  redis = Redis.new(url: options.fetch(:url))
  added, = redis.multi do |tx|
    tx.sadd(index, options.fetch(:id))
    tx.expire(index, options.fetch(:ttl))
  end
  return unless added == 1

  redis.multi do |tx|
    tx.incrby("#{namespace}:stats:total_sessions", 1)
    tx.set("#{namespace}:stats:last_updated_at", Time.now.to_i.to_s)
  end
end

def list_sessions(options)
  namespace = options.fetch(:namespace)
  redis = Redis.new(url: options.fetch(:url))
  ids = redis.smembers("#{namespace}:user_sessions:#{options.fetch(:user)}")
  keys = ids.map { |id| session_keys(namespace, id).first }
  raws = keys.empty? ? [] : redis.mget(*keys)
  metas = raws.compact.map { |raw| JSON.parse(raw)["meta"] }.compact
  puts(JSON.generate(metas.sort_by { |meta| meta["public_session_id"].to_s }))
end

command = ARGV.shift
case command
when "write" then write_session(parse_options(ARGV, %i[url namespace id json]))
when "read" then read_session(parse_options(ARGV, %i[url namespace id]))
when "new-id" then puts(SecureRandom.hex(16))
when "sign-in" then sign_in(parse_options(ARGV, %i[url namespace id user meta]))
when "sessions" then list_sessions(parse_options(ARGV, %i[url namespace user]))
else
  warn("usage: gem_session.rb write|read|new-id|sign-in|sessions [options] (got #{command.inspect})")
  exit(2)
end
