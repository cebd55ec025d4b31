//! One peer connection: a webrtcbin fed by a branch of the shared capture, with methods shaped
//! like the browser's RTCPeerConnection so the UI's negotiation logic drives it unchanged.

use crate::description::{
    rewrite_media_ids, with_ptime, IceCandidateInit, SdpType, SessionDescription,
};
use crate::engine::Inner;
use crate::error::{EngineError, Result};
use crate::events::{ConnectionState, SignalingState};
use crate::limits::{self, InputError};
use crate::stats::PeerStats;
use gst::prelude::*;
use std::sync::Arc;

/// A handle to one peer connection; cheap to clone, all clones drive the same connection.
#[derive(Clone)]
pub struct Peer {
    pub(crate) inner: Arc<Inner>,
    pub(crate) id: String,
}

impl std::fmt::Debug for Peer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Peer")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

impl Peer {
    /// The remote peer's id this connection was created for.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Creates an offer.
    pub async fn create_offer(&self) -> Result<SessionDescription> {
        self.ensure_open()?;
        let reply = self
            .call("create-offer", &[&None::<gst::Structure>])
            .await?;
        let mut offer = description_from(&reply, "offer", "create-offer")?;
        offer.sdp = with_ptime(&offer.sdp, self.inner.timing.frame_ms);
        let previous = self.inner.previous_mids(&self.id);
        if !previous.is_empty() {
            offer.sdp = rewrite_media_ids(&offer.sdp, &previous);
        }
        Ok(offer)
    }

    /// Creates an answer to the applied remote offer.
    pub async fn create_answer(&self) -> Result<SessionDescription> {
        self.ensure_open()?;
        let reply = self
            .call("create-answer", &[&None::<gst::Structure>])
            .await?;
        let mut answer = description_from(&reply, "answer", "create-answer")?;
        answer.sdp = with_ptime(&answer.sdp, self.inner.timing.frame_ms);
        Ok(answer)
    }

    /// Applies a local description; with `None`, creates the offer or answer the signaling
    /// state calls for, as `setLocalDescription()` without arguments does. Returns what was
    /// applied, i.e. the new `localDescription`.
    pub async fn set_local_description(
        &self,
        description: Option<SessionDescription>,
    ) -> Result<SessionDescription> {
        self.ensure_open()?;
        let description = match description {
            Some(d) if d.kind == SdpType::Rollback => {
                self.rollback()?;
                return Ok(d);
            }
            Some(d) if !d.sdp.is_empty() => d,
            Some(d) if d.kind == SdpType::Offer => self.create_offer().await?,
            Some(_) => self.create_answer().await?,
            None => match self.signaling_state() {
                SignalingState::HaveRemoteOffer | SignalingState::HaveLocalPranswer => {
                    self.create_answer().await?
                }
                _ => self.create_offer().await?,
            },
        };
        let gst_desc = description.to_gst()?;
        self.call("set-local-description", &[&gst_desc]).await?;
        self.inner
            .local_description_applied(&self.id, &description.sdp);
        Ok(description)
    }

    /// Applies the remote peer's offer or answer. An offer that collides with our own pending
    /// offer rolls it back first, and an offer with new ICE credentials restarts ICE, both as
    /// the browser does implicitly.
    pub async fn set_remote_description(&self, description: SessionDescription) -> Result<()> {
        self.ensure_open()?;
        if description.kind == SdpType::Rollback {
            return self.rollback();
        }
        limits::check_remote_sdp(&description.sdp)?;
        if description.kind == SdpType::Offer {
            let collision = self.signaling_state() == SignalingState::HaveLocalOffer;
            let restart = match (self.remote_description(), ice_ufrag(&description.sdp)) {
                (Some(current), Some(new)) => ice_ufrag(&current.sdp) != Some(new),
                _ => false,
            };
            if collision || restart {
                self.inner.reset_peer(&self.id)?;
            }
        }
        let gst_desc = description.to_gst()?;
        self.call("set-remote-description", &[&gst_desc]).await?;
        self.inner
            .remote_description_applied(&self.id, &description.sdp);
        Ok(())
    }

    /// Adds a remote ICE candidate; `None` or an empty candidate marks the end of candidates.
    pub fn add_ice_candidate(&self, candidate: Option<IceCandidateInit>) -> Result<()> {
        self.ensure_open()?;
        let Some(candidate) = candidate.filter(|c| !c.candidate.trim().is_empty()) else {
            return Ok(());
        };
        let text = candidate.candidate.trim();
        let text = text.strip_prefix("a=").unwrap_or(text);
        limits::check_candidate(text)?;
        let index = match (candidate.sdp_m_line_index, candidate.sdp_mid.as_deref()) {
            (Some(index), _) if index as usize >= limits::MAX_MEDIA_SECTIONS => {
                return Err(InputError::MediaIndexOutOfRange(index).into())
            }
            (Some(index), _) => index,
            (None, Some(mid)) => {
                self.inner
                    .remote_mline_for_mid(&self.id, mid)
                    .ok_or_else(|| {
                        EngineError::InvalidCandidate(format!("no m-line with mid {mid:?}"))
                    })?
            }
            (None, None) => {
                return Err(EngineError::InvalidCandidate(
                    "neither sdpMid nor sdpMLineIndex given".into(),
                ))
            }
        };
        self.inner
            .remote_candidate(&self.id, index, text.to_owned())
    }

    /// The applied local description (pending if any, else current), like `localDescription`.
    pub fn local_description(&self) -> Option<SessionDescription> {
        self.description_property("local-description")
    }

    /// The applied remote description, like `remoteDescription`.
    pub fn remote_description(&self) -> Option<SessionDescription> {
        self.description_property("remote-description")
    }

    /// Like `signalingState`.
    pub fn signaling_state(&self) -> SignalingState {
        if self.inner.is_closed(&self.id) {
            return SignalingState::Closed;
        }
        match self.inner.webrtc(&self.id) {
            Ok(webrtc) => SignalingState::from_gst(
                webrtc.property::<gst_webrtc::WebRTCSignalingState>("signaling-state"),
            ),
            Err(_) => SignalingState::Closed,
        }
    }

    /// Like `connectionState`.
    pub fn connection_state(&self) -> ConnectionState {
        if self.inner.is_closed(&self.id) {
            return ConnectionState::Closed;
        }
        self.inner.connection_state(&self.id)
    }

    /// Counters, round-trip time and received audio level of this connection.
    pub async fn stats(&self) -> Result<PeerStats> {
        self.ensure_open()?;
        let reply = self.call("get-stats", &[&None::<gst::Pad>]).await?;
        let mut stats = self.inner.level_stats(&self.id)?;
        stats.absorb(&reply);
        Ok(stats)
    }

    /// Restarts ICE, as `restartIce()` does: `negotiationneeded` fires and the next offer
    /// carries new ICE credentials. webrtcbin 1.22 cannot restart ICE in place, so the
    /// connection is rebuilt (new credentials and DTLS keys, same m-line ids); audio resumes
    /// once the offer is answered. Another engine follows; a browser accepts the offer but
    /// keeps its old DTLS session, so towards a browser a new connection on both sides is
    /// the way to recover.
    pub fn restart_ice(&self) -> Result<()> {
        self.ensure_open()?;
        self.inner.reset_peer(&self.id)
    }

    /// Drops a pending offer, like applying a `rollback` description; webrtcbin 1.22 cannot
    /// roll back, so a pending offer is dropped together with the connection it was for.
    fn rollback(&self) -> Result<()> {
        match self.signaling_state() {
            SignalingState::HaveLocalOffer | SignalingState::HaveRemoteOffer => {
                self.inner.reset_peer(&self.id)
            }
            _ => Ok(()),
        }
    }

    /// Sets how loud this peer is played, 0.0 ..= 2.0 (1.0 unchanged).
    pub fn set_volume(&self, volume: f64) -> Result<()> {
        self.inner.set_peer_volume(&self.id, volume)
    }

    /// Closes the connection and frees its part of the pipeline; the others keep going.
    pub fn close(&self) {
        self.inner.remove_peer(&self.id);
    }

    fn ensure_open(&self) -> Result<()> {
        if self.inner.is_closed(&self.id) {
            Err(EngineError::PeerClosed(self.id.clone()))
        } else {
            Ok(())
        }
    }

    fn description_property(&self, name: &str) -> Option<SessionDescription> {
        let webrtc = self.inner.webrtc(&self.id).ok()?;
        let desc = webrtc.property::<Option<gst_webrtc::WebRTCSessionDescription>>(name)?;
        SessionDescription::from_gst(&desc).ok()
    }

    /// Emits the signal without keeping its (thread-bound) argument values past this call.
    fn emit_with_promise(
        &self,
        signal: &str,
        args: &[&(dyn ToValue + Sync)],
    ) -> Result<gst::promise::PromiseFuture> {
        let webrtc = self.inner.webrtc(&self.id)?;
        let (promise, reply) = gst::Promise::new_future();
        let mut values: Vec<gst::glib::Value> = args.iter().map(|a| a.to_value()).collect();
        values.push(promise.to_value());
        webrtc.emit_by_name_with_values(signal, &values);
        Ok(reply)
    }

    /// Emits a webrtcbin action signal that ends with a promise, and waits for the reply.
    async fn call(
        &self,
        signal: &'static str,
        args: &[&(dyn ToValue + Sync)],
    ) -> Result<gst::Structure> {
        self.inner.sink_ready(&self.id).await?;
        let reply = self.emit_with_promise(signal, args)?;
        let reply = reply.await.map_err(|e| EngineError::Negotiation {
            operation: signal,
            reason: format!("{e:?}"),
        })?;
        let structure = reply
            .map(|r| r.to_owned())
            .unwrap_or_else(|| gst::Structure::new_empty("application/x-tincan-empty-reply"));
        if let Ok(err) = structure.get::<gst::glib::Error>("error") {
            return Err(EngineError::Negotiation {
                operation: signal,
                reason: err.to_string(),
            });
        }
        Ok(structure)
    }
}

fn description_from(
    reply: &gst::Structure,
    field: &str,
    operation: &'static str,
) -> Result<SessionDescription> {
    let desc = reply
        .get::<gst_webrtc::WebRTCSessionDescription>(field)
        .map_err(|_| EngineError::Negotiation {
            operation,
            reason: "no description in the reply".into(),
        })?;
    SessionDescription::from_gst(&desc)
}

fn ice_ufrag(sdp: &str) -> Option<&str> {
    sdp.lines()
        .find_map(|line| line.strip_prefix("a=ice-ufrag:"))
        .map(str::trim)
}
